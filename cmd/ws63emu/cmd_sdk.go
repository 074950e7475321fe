package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine"
)

func init() {
	register("sdk", "build the vendor's update library from an SDK checkout (the SDK engine)", runSDK)
}

func sdkUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ws63emu sdk build --sdk DIR [--cache DIR]")
}

// runSDK is `ws63emu sdk build --sdk DIR [--cache DIR]`.
func runSDK(args []string, stdout, stderr io.Writer) error {
	return dispatch("sdk", sdkUsage, []subcommand{{"build", runSDKBuild}}, args, stdout, stderr)
}

// runSDKBuild compiles the update library, partition code, LzmaDec.c,
// libboundscheck and sfc.c from the SDK checkout with the embedded host
// shim into two cached executables (app and flashboot builds), or finds
// them in the cache.
func runSDKBuild(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sdk build", stderr)
	sdk := fs.String("sdk", "", "the SDK checkout (the directory holding src/)")
	cache := fs.String("cache", "", "the build cache (default: the user cache directory, ws63emu/sdk)")
	fs.Usage = func() {
		sdkUsage(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *sdk == "" {
		fs.Usage()
		return errors.New("sdk build: want --sdk DIR and no arguments")
	}
	b, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: *sdk, CacheDir: *cache})
	if err != nil {
		return err
	}
	how := "built"
	if b.Cached {
		how = "cached"
	}
	fmt.Fprintf(stdout, "sdk %s: key %s\n  app        %s\n  flashboot  %s\n", how, b.Key, b.App, b.Flashboot)
	return nil
}

// engineFlags are --engine, --sdk and --sdk-cache, shared by run, sweep,
// replay, demo and diff-engines.
type engineFlags struct {
	engine, sdk, cache *string
	opened             *sdkengine.Engine // the SDK engine options made, for close
}

func addEngineFlags(fs *pflag.FlagSet) *engineFlags {
	return &engineFlags{
		engine: fs.String("engine", "", "update-library engine for every device: go or sdk (default: the script's device engine=, else go)"),
		sdk:    fs.String("sdk", "", "SDK checkout to build the SDK engine from (needed by --engine sdk and engine=sdk scripts)"),
		cache:  fs.String("sdk-cache", "", "the SDK engine's build cache (default: the user cache directory)"),
	}
}

// options returns the engine choice and, when an SDK is named, its
// engine (built or found in the cache).
func (f *engineFlags) options() (string, *sdkengine.Engine, error) {
	e := *f.engine
	if e != "" && e != scenarios.EngineGo && e != scenarios.EngineSDK {
		return "", nil, fmt.Errorf("--engine %q: want go or sdk", e)
	}
	if *f.sdk == "" {
		if e == scenarios.EngineSDK {
			return "", nil, errors.New("--engine sdk needs --sdk DIR (an SDK checkout)")
		}
		return e, nil, nil
	}
	b, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: *f.sdk, CacheDir: *f.cache})
	if err != nil {
		return "", nil, err
	}
	f.opened = sdkengine.New(b)
	return e, f.opened, nil
}

// close ends the SDK engine's idle child processes, if one was made.
func (f *engineFlags) close() {
	if f.opened != nil {
		f.opened.Close()
	}
}

// fromToken takes the engine a replay token names (the sweep's --engine)
// when --engine is not given; an SDK token needs --sdk.
func (f *engineFlags) fromToken(tok scenarios.Token) error {
	if tok.Engine == "" || *f.engine != "" {
		return nil
	}
	if tok.Engine == scenarios.EngineSDK && *f.sdk == "" {
		return errors.New("the token is from a sweep on the SDK engine (engine=sdk): give --sdk DIR, or --engine go to replay the point on the Go model")
	}
	*f.engine = tok.Engine
	return nil
}

// apply sets the engine in scenario options.
func (f *engineFlags) apply(o *scenarios.Options) error {
	e, eng, err := f.options()
	if err != nil {
		return err
	}
	o.Engine = e
	if eng != nil {
		o.SDK = eng
	}
	return nil
}
