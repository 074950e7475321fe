package sdkengine

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// shim is the host shim written for ws63emu (csrc): the C code below the
// vendor's sfc.c, the console, crypto entry points and the call loop.
//
//go:embed csrc
var shim embed.FS

// buildFormat changes when the way binaries are built changes, so that old
// cache entries are not reused.
const buildFormat = "ws63emu-sdk-build-2"

// Sources are the vendor files compiled, relative to the SDK checkout's
// root: the update library and its WS63 porting layer, the partition
// reader, the real SPI flash driver, the LZMA decoder and libboundscheck.
var Sources = []string{
	"src/middleware/utils/update/common/upg_common.c",
	"src/middleware/utils/update/common/upg_verify.c",
	"src/middleware/utils/update/common/upg_alloc.c",
	"src/middleware/utils/update/storage/upg_storage.c",
	"src/middleware/utils/update/local_update/upg_process.c",
	"src/middleware/utils/update/local_update/upg_upgrade.c",
	"src/middleware/utils/update/local_update/upg_lzmadec.c",
	"src/middleware/utils/update/local_update/upg_encry.c",
	"src/middleware/utils/update/local_update/upg_resource.c",
	"src/middleware/utils/update/local_update/upg_patch.c",
	"src/middleware/chips/ws63/update/common/upg_common_porting.c",
	"src/middleware/chips/ws63/update/storage/upg_backup.c",
	"src/middleware/chips/ws63/update/local_update/upg_encry_porting.c",
	"src/middleware/chips/ws63/update/ab_upg/upg_ab.c",
	"src/middleware/utils/partition/partition.c",
	"src/middleware/chips/ws63/partition/partition_porting.c",
	"src/drivers/chips/ws63/porting/sfc/driver/sfc.c",
	"src/drivers/chips/ws63/porting/sfc/flash_config/flash_config_info.c",
	"src/open_source/7-zip-lzma-sdk/lzma_22.00/C/LzmaDec.c",
	"src/open_source/libboundscheck/src/memcpy_s.c",
	"src/open_source/libboundscheck/src/memset_s.c",
	"src/open_source/libboundscheck/src/memmove_s.c",
	"src/open_source/libboundscheck/src/securecutil.c",
}

// includeDirs are the SDK's header directories, relative to its root.
var includeDirs = []string{
	"src/include",
	"src/include/middleware/utils",
	"src/include/driver",
	"src/include/driver/security_unified",
	"src/middleware/utils/update/inner_include",
	"src/middleware/chips/ws63/update/include",
	"src/middleware/chips/ws63/partition/include",
	"src/middleware/chips/ws63/partition",
	"src/middleware/utils/partition",
	"src/middleware/utils/common_headers",
	"src/middleware/utils/common_headers/native",
	"src/bootloader/commonboot/include",
	"src/kernel/osal/include/interrupt",
	"src/drivers/chips/ws63/porting/sfc",
	"src/drivers/drivers/hal/sfc",
	"src/drivers/chips/ws63/boot/boot_config",
	"src/drivers/chips/ws63/porting/efuse",
	"src/drivers/drivers/driver/security_unified/drv_cipher/drv_include",
	"src/drivers/drivers/hal/security_unified/hal_cipher/include/common_include",
	"src/open_source/libboundscheck/include",
	"src/open_source/7-zip-lzma-sdk/lzma_22.00/C",
}

// Variant is one build of the library: the app's or flashboot's.
type Variant struct {
	Name    string   // "app" or "flashboot"
	Defines []string // -D flags
	Memory  string   // the linker directory holding memory_config.h
}

// Variants are the two builds: the app as ws63_liteos_app.config, flashboot
// as ws63_flashboot.config plus WS63_PRODUCT_NONE, __NON_OS__ and the
// sample verifier (sdk-src README). CONFIG_MIDDLEWARE_SUPPORT_UPG_COMPRESS_ENCRY
// is on in both default configs (docs/sdk-mapping.md §4.4); without it flashboot's LZMA
// task never drains its output buffer for an image whose re_enc_flag is
// set and overruns it.
var Variants = []Variant{
	{Name: "app", Defines: []string{"CONFIG_MIDDLEWARE_SUPPORT_UPG_COMPRESS_ENCRY"},
		Memory: "src/drivers/boards/ws63/evb/linker/ws63_liteos_app_linker"},
	{Name: "flashboot", Defines: []string{"CONFIG_MIDDLEWARE_SUPPORT_UPG_COMPRESS_ENCRY", "WS63_PRODUCT_NONE", "__NON_OS__", "CONFIG_MIDDLEWARE_SUPPORT_UPG_SAMPLE_VERIFY"},
		Memory: "src/drivers/boards/ws63/evb/linker/flashboot_linker"},
}

// commonFlags apply to every compile. The binary is not position
// independent and is linked at 0x10000000: the flash window 0x200000–
// 0x600000 stays free for the mapping, and the brk heap stays below 4 GiB
// (the library passes pointers through uint32_t). -fno-common (gcc's
// default since 10) keeps every vendor global in its object's .bss, where
// the boot reset finds it.
var (
	commonFlags = []string{"-O2", "-fno-pie", "-fno-strict-aliasing", "-fno-common", "-w", "-DCONFIG_BOOT_SUPPORT_ECC_VERIFY"}
	linkFlags   = []string{"-no-pie", "-Wl,-Ttext-segment=0x10000000",
		// The shim counts the LZMA output for the simulated clock.
		"-Wl,--wrap=LzmaDec_DecodeToDic", "-Wl,--wrap=LzmaDec_DecodeToBuf"}
	// staticFlag is tried first at link time (Compile).
	staticFlag = "-static"
	// vendorObjcopy is applied to every vendor object (not the shim's):
	// its writable data goes to sections the shim restores at each boot
	// (one process serves many boots, as a chip re-runs its start-up
	// code), and its heap calls go to the shim's boot heap.
	vendorObjcopy = []string{
		"--rename-section", ".data=" + vendorData,
		"--rename-section", ".bss=" + vendorBSS,
		"--redefine-sym", "malloc=ws63emu_malloc",
		"--redefine-sym", "free=ws63emu_free",
		"--redefine-sym", "calloc=ws63emu_calloc",
		"--redefine-sym", "realloc=ws63emu_realloc",
	}
)

// The sections holding the vendor objects' writable data (csrc/shim.c
// finds them by the linker's __start_ and __stop_ symbols).
const (
	vendorData = "ws63emu_vdata"
	vendorBSS  = "ws63emu_vbss"
)

// BuildOptions say what to build and where to keep it.
type BuildOptions struct {
	// SDK is the root of an SDK checkout (it holds src/).
	SDK string
	// CacheDir holds built executables by key; "" is
	// os.UserCacheDir()/ws63emu/sdk.
	CacheDir string
	// CC is the C compiler; "" is $CC, else gcc.
	CC string
	// Jobs compiles this many files at once; 0 is runtime.NumCPU().
	Jobs int
	// objcopy is the binary utility that goes with CC (validate).
	objcopy string
}

// Build is a built pair of executables.
type Build struct {
	Key       string // SHA-256 of everything that went into it
	Dir       string // the cache entry
	App       string // the app build's executable
	Flashboot string // flashboot's
	Cached    bool   // found in the cache, nothing compiled
}

// Path returns the executable of a program ("app" or "flashboot").
func (b *Build) Path(prog string) string {
	if prog == "app" {
		return b.App
	}
	return b.Flashboot
}

// Errors of Compile.
var (
	// ErrNoCompiler is returned when no C compiler is found.
	ErrNoCompiler = errors.New("sdkengine: no C compiler")
	// ErrNotSDK is returned when the directory lacks a file the build needs.
	ErrNotSDK = errors.New("sdkengine: not a WS63 SDK checkout")
	// ErrCompile is returned when the compiler rejects a file.
	ErrCompile = errors.New("sdkengine: compile failed")
)

func (o *BuildOptions) validate() error {
	if o.SDK == "" {
		return fmt.Errorf("%w: no SDK directory given", ErrNotSDK)
	}
	if o.CC == "" {
		o.CC = os.Getenv("CC")
	}
	if o.CC == "" {
		o.CC = "gcc"
	}
	cc, err := exec.LookPath(o.CC)
	if err != nil {
		return fmt.Errorf("%w: %s not found in PATH (the SDK engine needs gcc)", ErrNoCompiler, o.CC)
	}
	o.CC = cc
	if o.objcopy, err = findObjcopy(cc); err != nil {
		return err
	}
	if o.CacheDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			d = os.TempDir()
		}
		o.CacheDir = filepath.Join(d, "ws63emu", "sdk")
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	return nil
}

// Compile builds the app and flashboot executables from the SDK checkout
// o.SDK with the embedded shim, or finds them in the cache under the same
// key (the SHA-256 of every source and header compiled, the shim, the
// flags and the compiler's version).
func Compile(o BuildOptions) (*Build, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	key, err := buildKey(o)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.CacheDir, key)
	b := &Build{Key: key, Dir: dir, App: filepath.Join(dir, "app"), Flashboot: filepath.Join(dir, "flashboot")}
	if isExec(b.App) && isExec(b.Flashboot) {
		b.Cached = true
		return b, nil
	}
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("sdkengine: cache %s: %w", o.CacheDir, err)
	}
	tmp, err := os.MkdirTemp(o.CacheDir, "build-")
	if err != nil {
		return nil, fmt.Errorf("sdkengine: cache %s: %w", o.CacheDir, err)
	}
	defer os.RemoveAll(tmp)
	if err := compileAll(o, tmp); err != nil {
		return nil, err
	}
	out := filepath.Join(tmp, "out")
	if err := os.Rename(out, dir); err != nil && !(isExec(b.App) && isExec(b.Flashboot)) {
		return nil, fmt.Errorf("sdkengine: cache %s: %w", dir, err)
	}
	return b, nil
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// buildKey hashes everything that goes into a build, checking on the way
// that every source and include directory exists.
func buildKey(o BuildOptions) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", buildFormat)
	ver, err := exec.Command(o.CC, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s --version: %v", ErrNoCompiler, o.CC, err)
	}
	fmt.Fprintf(h, "cc %s\n", firstLine(string(ver)))
	fmt.Fprintf(h, "flags %q %q %q %q\n", commonFlags, linkFlags, staticFlag, vendorObjcopy)
	for _, v := range Variants {
		fmt.Fprintf(h, "variant %s %q %s\n", v.Name, v.Defines, v.Memory)
	}
	for _, rel := range Sources {
		b, err := os.ReadFile(filepath.Join(o.SDK, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("%w: %s: missing %s", ErrNotSDK, o.SDK, rel)
		}
		fmt.Fprintf(h, "src %s %d\n", rel, len(b))
		h.Write(b)
	}
	dirs := append(append([]string{}, includeDirs...), Variants[0].Memory, Variants[1].Memory)
	for _, rel := range dirs {
		ents, err := os.ReadDir(filepath.Join(o.SDK, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("%w: %s: missing directory %s", ErrNotSDK, o.SDK, rel)
		}
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".h") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(o.SDK, filepath.FromSlash(rel), e.Name()))
			if err != nil {
				return "", fmt.Errorf("sdkengine: %s: %w", filepath.Join(o.SDK, rel, e.Name()), err)
			}
			fmt.Fprintf(h, "hdr %s/%s %d\n", rel, e.Name(), len(b))
			h.Write(b)
		}
	}
	var names []string
	_ = fs.WalkDir(shim, "csrc", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := shim.ReadFile(n)
		fmt.Fprintf(h, "shim %s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// compileAll writes the shim to tmp/shim, compiles every file of both
// variants into tmp/obj, and links tmp/out/{app,flashboot}.
func compileAll(o BuildOptions, tmp string) error {
	shimDir := filepath.Join(tmp, "shim")
	if err := writeShim(shimDir); err != nil {
		return err
	}
	var incs []string
	incs = append(incs, "-I"+filepath.Join(shimDir, "include"))
	for _, rel := range includeDirs {
		incs = append(incs, "-I"+filepath.Join(o.SDK, filepath.FromSlash(rel)))
	}
	type job struct {
		args   []string
		src    string // for messages
		obj    string
		vendor bool
	}
	var jobs []job
	var links [][]string
	for _, v := range Variants {
		objDir := filepath.Join(tmp, "obj", v.Name)
		if err := os.MkdirAll(objDir, 0o755); err != nil {
			return fmt.Errorf("sdkengine: %w", err)
		}
		flags := append([]string{}, commonFlags...)
		for _, d := range v.Defines {
			flags = append(flags, "-D"+d)
		}
		flags = append(flags, incs...)
		flags = append(flags, "-I"+filepath.Join(o.SDK, filepath.FromSlash(v.Memory)))
		var objs []string
		srcs := make([]string, 0, len(Sources)+2)
		for _, rel := range Sources {
			srcs = append(srcs, filepath.Join(o.SDK, filepath.FromSlash(rel)))
		}
		srcs = append(srcs, filepath.Join(shimDir, "shim.c"), filepath.Join(shimDir, "sha256.c"))
		for i, src := range srcs {
			obj := filepath.Join(objDir, fmt.Sprintf("%02d_%s.o", i, strings.TrimSuffix(filepath.Base(src), ".c")))
			objs = append(objs, obj)
			args := append(append([]string{}, flags...), "-c", "-o", obj, src)
			jobs = append(jobs, job{args: args, src: src, obj: obj, vendor: i < len(Sources)})
		}
		outDir := filepath.Join(tmp, "out")
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return fmt.Errorf("sdkengine: %w", err)
		}
		link := append(append([]string{}, linkFlags...), "-o", filepath.Join(outDir, v.Name))
		links = append(links, append(link, objs...))
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	var failed atomic.Bool // stop starting compiles after the first error
	sem := make(chan struct{}, o.Jobs)
	for i, j := range jobs {
		sem <- struct{}{}
		if failed.Load() {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			what := rel(o.SDK, tmp, j.src)
			errs[i] = run(o.CC, j.args, "compiling "+what)
			if errs[i] == nil && j.vendor {
				errs[i] = separate(o.objcopy, j.obj, what)
			}
			if errs[i] != nil {
				failed.Store(true)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for i, l := range links {
		// Static when the C library's archive is there: a point of a
		// sweep starts a program or two, and the dynamic loader's work at
		// each start was about a tenth of an SDK-engine sweep's time.
		// Without libc.a the same objects link dynamically.
		if run(o.CC, append([]string{staticFlag}, l...), "linking "+Variants[i].Name) == nil {
			continue
		}
		if err := run(o.CC, l, "linking "+Variants[i].Name); err != nil {
			return err
		}
	}
	return nil
}

// findObjcopy finds the objcopy that goes with the compiler: the one it
// names (-print-prog-name), else the one in PATH.
func findObjcopy(cc string) (string, error) {
	name := "objcopy"
	if out, err := exec.Command(cc, "-print-prog-name=objcopy").Output(); err == nil {
		if n := strings.TrimSpace(string(out)); n != "" {
			name = n
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: objcopy not found in PATH (binutils, which gcc links with)", ErrNoCompiler)
	}
	return p, nil
}

// separate moves a vendor object's writable data into the sections the
// shim restores at each boot, and its heap calls to the boot heap; an
// object with writable data elsewhere (thread-local, constructors) is
// refused, since a boot could not reset it.
func separate(objcopy, obj, what string) error {
	if err := run(objcopy, append(append([]string{}, vendorObjcopy...), obj), "separating "+what); err != nil {
		return err
	}
	f, err := elf.Open(obj)
	if err != nil {
		return fmt.Errorf("%w: separating %s: %v", ErrCompile, what, err)
	}
	defer f.Close()
	for _, sec := range f.Sections {
		if sec.Flags&elf.SHF_ALLOC == 0 || sec.Flags&elf.SHF_WRITE == 0 || sec.Size == 0 {
			continue
		}
		if sec.Name != vendorData && sec.Name != vendorBSS {
			return fmt.Errorf("%w: %s: writable section %s, which a boot cannot reset", ErrCompile, what, sec.Name)
		}
	}
	return nil
}

// rel names a compiled file for messages: relative to the SDK, or the
// shim's own name.
func rel(sdk, tmp, p string) string {
	if r, err := filepath.Rel(sdk, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	if r, err := filepath.Rel(filepath.Join(tmp, "shim"), p); err == nil && !strings.HasPrefix(r, "..") {
		return "shim " + filepath.ToSlash(r)
	}
	return p
}

// run runs the compiler; a failure carries its first lines of output.
func run(cc string, args []string, what string) error {
	var out bytes.Buffer
	cmd := exec.Command(cc, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) > 4 {
			lines = lines[:4]
		}
		return fmt.Errorf("%w: %s: %v: %s", ErrCompile, what, err, strings.Join(lines, " | "))
	}
	return nil
}

func writeShim(dir string) error {
	return fs.WalkDir(shim, "csrc", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "csrc")))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := shim.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
