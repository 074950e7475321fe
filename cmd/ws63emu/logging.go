package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// cliLogger receives the emulator's trace events of run, replay and a
// sweep's reference run; a no-op logger (no field is even built) unless
// --log-format or --log-level is given.
var cliLogger = zap.NewNop()

// logFlags are the global --log-format and --log-level flags: given
// before the command they are parsed by cobra, anywhere after it they
// are taken out of the command's arguments (extract).
type logFlags struct {
	format, level string
}

func (l *logFlags) define(fs *pflag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "", "stream the trace as log lines on stderr: console or json (JSON lines)")
	fs.StringVar(&l.level, "log-level", "", "log level: debug (every trace event), info, warn, error (default debug when --log-format is given)")
}

// extract takes --log-format and --log-level (and their =VALUE forms) out
// of args, up to a "--".
func (l *logFlags) extract(args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		var dst *string
		for _, f := range []struct {
			name string
			v    *string
		}{{"--log-format", &l.format}, {"--log-level", &l.level}} {
			switch {
			case a == f.name:
				if i+1 >= len(args) {
					return nil, fmt.Errorf("flag needs an argument: %s", f.name)
				}
				dst = f.v
				i++
				*dst = args[i]
			case strings.HasPrefix(a, f.name+"="):
				dst = f.v
				*dst = strings.TrimPrefix(a, f.name+"=")
			}
		}
		if dst == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// start sets cliLogger from the flags, writing to w; stop flushes it and
// puts the no-op logger back.
func (l *logFlags) start(w io.Writer) (stop func(), err error) {
	if l.format == "" && l.level == "" {
		return func() {}, nil
	}
	lvl := zapcore.DebugLevel
	if l.level != "" {
		if lvl, err = zapcore.ParseLevel(l.level); err != nil || lvl > zapcore.ErrorLevel {
			return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level)
		}
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "" // the trace has simulated time ("at"); no wall clock
	var enc zapcore.Encoder
	switch l.format {
	case "json":
		enc = zapcore.NewJSONEncoder(ec)
	case "console", "":
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("--log-format %q: want console or json", l.format)
	}
	ws := zapcore.AddSync(w)
	cliLogger = zap.New(zapcore.NewCore(enc, zapcore.Lock(ws), lvl))
	return func() {
		_ = cliLogger.Sync()
		cliLogger = zap.NewNop()
	}, nil
}

// cliLoggerOn reports whether log lines are streaming to stderr (the
// progress display then stays off, not to break them).
func cliLoggerOn() bool { return cliLogger.Core().Enabled(zapcore.ErrorLevel) }
