package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/upg"
)

// seeded is a deterministic byte stream for test keys.
type seeded struct{ b byte }

func (s *seeded) Read(p []byte) (int, error) {
	for i := range p {
		s.b = s.b*31 + 7
		p[i] = s.b
	}
	return len(p), nil
}

// pkgInputs writes small signed images, an NV blob and two keys into dir.
type pkgInputs struct {
	dir, app, boot, nv, root, sub string
	rootKey, subKey               *image.PrivateKey
}

func newPkgInputs(t *testing.T) *pkgInputs {
	t.Helper()
	dir := t.TempDir()
	in := &pkgInputs{dir: dir, app: filepath.Join(dir, "app-sign.bin"), boot: filepath.Join(dir, "flashboot_sign.bin"),
		nv: filepath.Join(dir, "nv.bin"), root: filepath.Join(dir, "root.pem"), sub: filepath.Join(dir, "sub.pem")}
	app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0", Seed: 5}, 9000, nil)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2.0", Seed: 5}, 5000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.rootKey, err = image.GenerateKey(&seeded{1}); err != nil {
		t.Fatal(err)
	}
	if in.subKey, err = image.GenerateKey(&seeded{2}); err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{in.app: app, in.boot: boot, in.nv: bytes.Repeat([]byte("nv"), 700),
		in.root: in.rootKey.MarshalPEM(), in.sub: in.subKey.MarshalPEM()} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPackSHA256MatchesLibrary(t *testing.T) {
	in := newPkgInputs(t)
	out := filepath.Join(in.dir, "update.fwpkg")
	stdout, stderr, code := runCLI(t, "pack", "--sign", "sha256", "--pkt", "app,nv", "--ver", "2.0.1",
		"--app", in.app, "--flashboot", in.boot, "--nv", in.nv, "-o", out)
	if code != 0 {
		t.Fatalf("pack exit %d: %s", code, stderr)
	}
	for _, s := range []string{"wrote " + out, "3 images", "hash-only", `version "2.0.1"`, "0 application", "1 flashboot", "2 nv", "(raw)", "LZMA, 0."} {
		if !strings.Contains(stdout, s) {
			t.Errorf("pack output lacks %q:\n%s", s, stdout)
		}
	}
	want, err := upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(upg.SignSHA256), Pkt: []string{"app", "nv"}, Ver: "2.0.1",
		App: readFile(t, in.app), Flashboot: readFile(t, in.boot), NV: readFile(t, in.nv)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, out), want) {
		t.Error("the CLI's package differs from upg.Pack's")
	}
}

func TestPackECDSA(t *testing.T) {
	in := newPkgInputs(t)
	out := filepath.Join(in.dir, "update.fwpkg")
	// The default is the SDK's ECDSA fota.cfg: keys are required.
	_, stderr, code := runCLI(t, "pack", "--app", in.app, "--flashboot", in.boot, "-o", out)
	if code != 2 || !strings.Contains(stderr, "--root-key") {
		t.Errorf("ECDSA without keys: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed pack left an output file")
	}
	_, stderr, code = runCLI(t, "pack", "--app", in.app, "--flashboot", in.boot, "--root-key", in.root, "--sub-key", in.sub, "-o", out)
	if code != 0 {
		t.Fatalf("pack exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, "pkg", "verify", out, "--root-key", in.root)
	if code != 0 || !strings.HasPrefix(stdout, "OK ") || !strings.Contains(stdout, "ECDSA") {
		t.Errorf("verify exit %d: %s%s", code, stdout, stderr)
	}
	// --unsigned needs no keys and writes update_temp.fwpkg's form.
	tmp := filepath.Join(in.dir, "update_temp.fwpkg")
	if _, stderr, code = runCLI(t, "pack", "--unsigned", "--app", in.app, "--flashboot", in.boot, "-o", tmp); code != 0 {
		t.Fatalf("unsigned pack exit %d: %s", code, stderr)
	}
	signed, unsigned := readFile(t, out), readFile(t, tmp)
	if !bytes.Equal(signed[upg.HeaderLen:], unsigned[upg.HeaderLen:]) || !bytes.Equal(unsigned[128:256], make([]byte, 128)) {
		t.Error("unsigned package should differ only in the public key and signatures")
	}
	if err := upg.SignPackage(unsigned, in.rootKey, in.subKey); err != nil || !bytes.Equal(unsigned, signed) {
		t.Errorf("signing the unsigned package does not give the signed one (%v)", err)
	}
	_, stderr, code = runCLI(t, "pkg", "verify", tmp, "--root-key", in.root)
	if code != 1 || !strings.Contains(stderr, "step 2 (key area)") {
		t.Errorf("verify unsigned: exit %d: %s", code, stderr)
	}
}

// An ECDSA fota.cfg in an SDK tree: its relative key paths resolve
// against the tree's src/ directory, as build_upg_pkg.py does.
const ecdsaCfg = `[SIGN_CFG]
SignSuite=1
RootKeyFile=build/config/target_config/ws63/sign_config/root.pem
SubKeyFile=build/config/target_config/ws63/sign_config/sub.pem
[FOTA_KEY_AREA]
ImageId=0xCB8D154E
StructVersion=0x00010000
KeyOwnerId=0
KeyId=0
KeyAlg=0x2A13C812
KeyVersion=0x0
KeyVersionMask=0x0
Msid=0x0
MsidMask=0x0
[FOTA_INFO_AREA]
ImageId=0xCB8D154E
StructVersion=0x00010000
Version=0x0
VersionMask=0x0
Msid=0x0
MsidMask=0x0
HardwareID=0
[application]
HeaderMagic=0x464F5451
ImageId=0x4B0F2D2D
DecompressFlag=0x3C7896E1
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x0
version_mask=0x0
[flashboot]
HeaderMagic=0x464F5451
ImageId=0x4B1E3C2D
DecompressFlag=0x0
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x0
version_mask=0x0
`

func TestPackConfigInSDKTree(t *testing.T) {
	in := newPkgInputs(t)
	tc := filepath.Join(in.dir, "src", "build", "config", "target_config", "ws63")
	for _, d := range []string{"fota", "sign_config"} {
		if err := os.MkdirAll(filepath.Join(tc, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(tc, "fota", "fota.cfg")
	if err := os.WriteFile(cfg, []byte(ecdsaCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(in.dir, "update.fwpkg")
	_, stderr, code := runCLI(t, "pack", "--config", cfg, "--app", in.app, "--flashboot", in.boot, "-o", out)
	if code != 2 || !strings.Contains(stderr, "RootKeyFile is not at") || !strings.Contains(stderr, "sign_config") {
		t.Errorf("missing cfg keys: exit %d: %s", code, stderr)
	}
	for src, dst := range map[string]string{in.root: "root.pem", in.sub: "sub.pem"} {
		if err := os.WriteFile(filepath.Join(tc, "sign_config", dst), readFile(t, src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := runCLI(t, "pack", "--config", cfg, "--app", in.app, "--flashboot", in.boot, "-o", out)
	if code != 0 {
		t.Fatalf("pack exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "ECDSA-signed") || !strings.Contains(stdout, "1 flashboot") || !strings.Contains(stdout, "(raw)") {
		t.Errorf("pack output:\n%s", stdout)
	}
	if _, stderr, code := runCLI(t, "pkg", "verify", "--root-key", in.root, out); code != 0 {
		t.Errorf("verify exit %d: %s", code, stderr)
	}
}

func TestPackReferenceConfig(t *testing.T) {
	cfg := testutil.Reference(t, "sdk/fota.cfg")
	in := newPkgInputs(t)
	out := filepath.Join(in.dir, "update.fwpkg")
	_, stderr, code := runCLI(t, "pack", "--config", cfg, "--pkt", "app,boot,nv", "--ver", "1.0.0", "--app", in.app,
		"--flashboot", in.boot, "--nv", in.nv, "--root-key", in.root, "--sub-key", in.sub, "-o", out)
	if code != 0 {
		t.Fatalf("pack exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, "pkg", "verify", out, "--root-key", in.root)
	if code != 0 || !strings.Contains(stdout, "(application, flashboot, nv)") {
		t.Errorf("verify exit %d: %s%s", code, stdout, stderr)
	}
}

func TestPackBadInput(t *testing.T) {
	in := newPkgInputs(t)
	out := filepath.Join(in.dir, "update.fwpkg")
	if err := os.WriteFile(out, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	badCfg := filepath.Join(in.dir, "bad.cfg")
	if err := os.WriteFile(badCfg, []byte(strings.Replace(ecdsaCfg, "Msid=0x0", "Msid=zz", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"pack", "--sign", "sha256", "--app", in.app, "--flashboot", in.boot, "-o", out}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ver too long", append(base, "--ver", "12345678901234567"), "version string too long"},
		{"nv without app", append(base, "--pkt", "nv,boot", "--nv", in.nv), "nv cannot be packed without the application"},
		{"missing flashboot", []string{"pack", "--sign", "sha256", "--app", in.app, "-o", out}, "--flashboot FILE is required"},
		{"missing nv", append(base, "--pkt", "app,nv"), "--nv FILE is required"},
		{"unknown pkt", append(base, "--pkt", "app,loader"), `unknown --pkt entry "loader"`},
		{"missing file", []string{"pack", "--sign", "sha256", "--app", in.app + ".nope", "--flashboot", in.boot, "-o", out}, "no such file"},
		{"bad config", []string{"pack", "--config", badCfg, "--app", in.app, "--flashboot", in.boot, "-o", out}, "bad.cfg:13: Msid"},
		{"config and sign", []string{"pack", "--config", badCfg, "--sign", "ecdsa", "--app", in.app, "-o", out}, "not both"},
		{"bad sign", []string{"pack", "--sign", "rsa", "--app", in.app, "-o", out}, "unknown sign mode"},
		{"no output", []string{"pack", "--sign", "sha256", "--app", in.app, "--flashboot", in.boot}, "-o FILE is required"},
		{"bad key", append(base[:len(base)-2:len(base)-2], "--sign", "ecdsa", "--root-key", in.app, "--sub-key", in.sub, "-o", out), "--root-key"},
	} {
		_, stderr, code := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, stderr, tc.want)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") > 0 && !strings.Contains(stderr, "usage") {
			t.Errorf("%s: error is not one line: %q", tc.name, stderr)
		}
		if got := readFile(t, out); string(got) != "precious" {
			t.Fatalf("%s: the existing output file was overwritten", tc.name)
		}
	}
	// --nv without nv in --pkt is ignored with a warning.
	stdout, stderr, code := runCLI(t, append(base, "--nv", in.nv)...)
	if code != 0 || !strings.Contains(stderr, "ignoring --nv") || !strings.Contains(stdout, "2 images") {
		t.Errorf("ignored --nv: exit %d: %s %s", code, stdout, stderr)
	}
}

// TestPackBeyondTheWrapper: the options that reach what build_upg_pkg.py
// can make and build_ws63_update.py's rules forbid.
func TestPackBeyondTheWrapper(t *testing.T) {
	in := newPkgInputs(t)
	out := filepath.Join(in.dir, "out.fwpkg")
	cfgPath := filepath.Join(in.dir, "extra.cfg")
	cfgText := strings.NewReplacer("KeyAlg=0x2A13C812", "KeyAlg=0x2A13C867", "SignSuite=1", "SignSuite=4").Replace(ecdsaCfg) + `
[res_index]
HeaderMagic=0x464F5451
ImageId=0xCB9E0826
DecompressFlag=0x0
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x0
version_mask=0x0

[res_data]
HeaderMagic=0x464F5451
ImageId=0xCB9E0832
DecompressFlag=0x3C7896E1
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x5
version_mask=0x0
`
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T) *upg.Package {
		t.Helper()
		b := readFile(t, out)
		p, err := upg.ReadPackage(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ids := func(p *upg.Package) string {
		var s []string
		for _, h := range p.Headers {
			s = append(s, upg.ImageName(h.ImageID))
		}
		return strings.Join(s, ",")
	}
	long := strings.Repeat("x", upg.UserAreaLen)
	for _, tc := range []struct {
		name string
		args []string
		ids  string
		ver  string
		hwID uint32
	}{
		{"no flashboot", []string{"--sign", "sha256", "--app", in.app, "--no-flashboot"}, "application", "", 0},
		{"long version", []string{"--sign", "sha256", "--app", in.app, "--flashboot", in.boot, "--long-ver", "--ver", long}, "application,flashboot", long, 0},
		{"non-ASCII version", []string{"--sign", "sha256", "--app", in.app, "--flashboot", in.boot, "--ver", "版本2.0β"}, "application,flashboot", "版本", 0},
		{"image order and extra sections", []string{"--config", cfgPath, "--any-version-ext", "--image", "res_data=" + in.nv,
			"--image", "flashboot=" + in.boot, "--image", "res_index=" + in.nv, "--image", "application=" + in.app, "--ver", long},
			"res_data,flashboot,res_index,application", long, 0},
		{"hardware id", []string{"--sign", "sha256", "--app", in.app, "--no-flashboot", "--hardware-id", "0x1234"}, "application", "", 0x1234},
		{"version_ext as given", []string{"--sign", "sha256", "--app", in.app, "--no-flashboot", "--version-ext", "application=0x5", "--any-version-ext"}, "application", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append(append([]string{"pack"}, tc.args...), "-o", out)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			p := read(t)
			if got := ids(p); got != tc.ids {
				t.Errorf("images %s, want %s", got, tc.ids)
			}
			if got := string(bytes.TrimRight(p.Info.User[:], "\x00")); got != tc.ver {
				t.Errorf("user area %q, want %q", got, tc.ver)
			}
			if p.Info.HardwareID != tc.hwID {
				t.Errorf("hardware_id 0x%X, want 0x%X", p.Info.HardwareID, tc.hwID)
			}
		})
	}
	if p := read(t); p.Headers[0].VersionExt != 0x5 {
		t.Errorf("--version-ext application=0x5: version_ext 0x%X", p.Headers[0].VersionExt)
	}

	base := []string{"pack", "--sign", "sha256", "-o", out}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"long version without --long-ver", append(base, "--app", in.app, "--no-flashboot", "--ver", long), "version string too long"},
		{"17 non-ASCII characters", append(base, "--app", in.app, "--no-flashboot", "--ver", strings.Repeat("é", 17)), "version string too long"},
		{"--image with --app", append(base, "--image", "application="+in.app, "--app", in.app), "drop --app"},
		{"--image without =", append(base, "--image", in.app), "want SECTION=FILE"},
		{"--image unknown section", append(base, "--image", "res_index="+in.app), "no [res_index] section"},
		{"res_data alone", []string{"pack", "--config", cfgPath, "--any-version-ext", "--image", "res_data=" + in.nv, "-o", out}, "res_data cannot be packed without res_index"},
		{"version_ext refused", append(base, "--app", in.app, "--no-flashboot", "--version-ext", "application=5"), "version_ext"},
		{"bad hardware id", append(base, "--app", in.app, "--no-flashboot", "--hardware-id", "x"), "--hardware-id x"},
		{"bad version-ext", append(base, "--app", in.app, "--no-flashboot", "--version-ext", "application"), "want SECTION=N"},
	} {
		before := readFile(t, out)
		_, stderr, code := runCLI(t, tc.args...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q; want %d and one line with %q", tc.name, code, stderr, exitBadInput, tc.want)
		}
		if !bytes.Equal(readFile(t, out), before) {
			t.Errorf("%s: the output file changed", tc.name)
		}
	}
}

// TestPackSDKMadeByteForByte runs the CLI on the inputs of the SDK-made
// package (its hash-only fota.cfg, --pkt app,boot, --ver 1.2.3): the
// output is update.fwpkg, and with --unsigned update_temp.fwpkg, byte for
// byte, LZMA payloads included.
func TestPackSDKMadeByteForByte(t *testing.T) {
	cfg := testutil.Reference(t, "sdk-made/fota.cfg")
	dir := filepath.Dir(cfg)
	out := filepath.Join(t.TempDir(), "update.fwpkg")
	for _, tc := range []struct {
		want  string
		extra []string
	}{{"update.fwpkg", nil}, {"update_temp.fwpkg", []string{"--unsigned"}}} {
		args := append([]string{"pack", "--config", cfg, "--pkt", "app,boot", "--ver", "1.2.3",
			"--app", filepath.Join(dir, "app_v2-sign.bin"), "--flashboot", filepath.Join(dir, "flashboot_v2_sign.bin"), "-o", out}, tc.extra...)
		if _, stderr, code := runCLI(t, args...); code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.want, code, stderr)
		}
		if !bytes.Equal(readFile(t, out), testutil.ReadReference(t, "sdk-made/"+tc.want)) {
			t.Errorf("ws63emu pack differs from the SDK's %s", tc.want)
		}
	}
}

// TestPackEncryptionModel: an [application] with ReRncFlag=0x3C7896E1 is
// refused by default (the real encryption is the closed tool's) and packed
// with --encryption-model, which records the config's keys and IV and
// leaves the data plain, as scripts' encrypt=on do.
func TestPackEncryptionModel(t *testing.T) {
	dir := t.TempDir()
	cfg, errs, code := runCLI(t, "pack", "--print-config", "--sign", "sha256")
	if code != exitOK {
		t.Fatalf("print-config: exit %d: %s", code, errs)
	}
	i := strings.Index(cfg, "[application]")
	j := strings.Index(cfg[i:], "ReRncFlag=0x00000000")
	if i < 0 || j < 0 {
		t.Fatalf("no [application] ReRncFlag in the built-in config:\n%s", cfg)
	}
	cfg = cfg[:i+j] + "ReRncFlag=0x3C7896E1\nProtectionKeyL1=00112233445566778899AABBCCDDEEFF\n" +
		"ProtectionKeyL2=00112233445566778899AABB00000000\nIv=000102030405060708090A0B0C0D0E0F" +
		cfg[i+j+len("ReRncFlag=0x00000000"):]
	cfgPath := filepath.Join(dir, "enc.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	app, fb := filepath.Join(dir, "app.bin"), filepath.Join(dir, "fb.bin")
	for _, a := range [][]string{
		{"image", "build", "--kind", "app", "--version", "2.0", "--size", "65536", "--seed", "1", "--hash-only", "-o", app},
		{"image", "build", "--kind", "flashboot", "--version", "2.0", "--size", "32768", "--seed", "1", "--hash-only", "-o", fb},
	} {
		if _, errs, code := runCLI(t, a...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", a, code, errs)
		}
	}
	out := filepath.Join(dir, "p.fwpkg")
	_, errs, code = runCLI(t, "pack", "--config", cfgPath, "--app", app, "--flashboot", fb, "-o", out)
	if code != exitBadInput || !strings.Contains(errs, "--encryption-model") {
		t.Fatalf("without --encryption-model: exit %d, %q; want 2 naming the flag", code, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a refused pack left %s", out)
	}
	if _, errs, code := runCLI(t, "pack", "--config", cfgPath, "--app", app, "--flashboot", fb, "--encryption-model", "-o", out); code != exitOK {
		t.Fatalf("with --encryption-model: exit %d: %s", code, errs)
	}
	if _, errs, code := runCLI(t, "pkg", "verify", out); code != exitOK {
		t.Fatalf("pkg verify of the modelled package: exit %d: %s", code, errs)
	}
}
