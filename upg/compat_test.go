package upg

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
)

func TestParseSDKAndPolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want VerifyPolicy
		err  bool
	}{
		{"", PolicySignatureLength, false}, // DefaultSDK
		{"1.10.101", PolicyKeyAlg, false},
		{"1.10.100", PolicyKeyAlg, false},
		{"1.9.200", PolicyKeyAlg, false},
		{"1.10.102", PolicySignatureLength, false},
		{"1.10.103", PolicySignatureLength, false},
		{"1.10.105", PolicySignatureLength, false},
		{"2.0.0", PolicySignatureLength, false},
		{"1.10", 0, true},
		{"1.10.x", 0, true},
		{"1.10.-1", 0, true},
		{"1.10.101.1", 0, true},
	} {
		got, err := PolicyOf(tc.in)
		if tc.err {
			if !errors.Is(err, ErrSDKVersion) {
				t.Errorf("PolicyOf(%q) error = %v, want ErrSDKVersion", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PolicyOf(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	v, err := ParseSDK("1.10.105")
	if err != nil || v.String() != "1.10.105" || !(SDK{1, 10, 101}).Less(v) || v.Less(SDK{1, 10, 101}) {
		t.Errorf("ParseSDK/Less/String: %v %v", v, err)
	}
}

// TestVerifyPolicies checks which package formats each verifier
// generation accepts (the model in compat.go).
func TestVerifyPolicies(t *testing.T) {
	app, boot, _, root, sub := fixtureInputs(t)
	other, err := image.GenerateKey(&seededReader{seed: "a root key the device does not have"})
	if err != nil {
		t.Fatal(err)
	}
	pack := func(keyAlg uint32) []byte {
		cfg := DefaultConfig(SignECDSA)
		cfg.KeyArea.KeyAlg = keyAlg
		b, err := Pack(PackOptions{Config: cfg, App: app, Flashboot: boot, RootKey: root, SubKey: sub})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ecdsaOther, err := Pack(PackOptions{Config: DefaultConfig(SignECDSA), App: app, Flashboot: boot, RootKey: other, SubKey: sub})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string][]byte{
		"hash 0x2A13C867":              pack(KeyAlgSHA256RSA),
		"hash 0x2A13C856":              pack(KeyAlgSHA256ECC),
		"ecdsa 0x2A13C812":             pack(KeyAlgECDSA),
		"ecdsa under another root key": ecdsaOther,
	}
	want := map[VerifyPolicy]map[string]bool{
		PolicySignatureLength: {"hash 0x2A13C867": true, "hash 0x2A13C856": true, "ecdsa 0x2A13C812": true, "ecdsa under another root key": false},
		PolicyKeyAlg:          {"hash 0x2A13C867": true, "hash 0x2A13C856": false, "ecdsa 0x2A13C812": true, "ecdsa under another root key": false},
	}
	for pol, w := range want {
		got := map[string]bool{}
		for name, b := range pkgs {
			v := &Verifier{RootKey: root.XY(), Policy: pol}
			_, err := verifyBytes(v, b)
			got[name] = err == nil
			var ve *VerifyError
			if err != nil && (!errors.As(err, &ve) || ve.Step != StepKeyArea || Code(err) != ErrcodeFail) {
				t.Errorf("%v, %s: error %v, want a step 2 failure with ERRCODE_FAIL", pol, name, err)
			}
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%v accepts (-want +got):\n%s", pol, d)
		}
	}
}

// TestStorageVerifyPolicy checks that Options.VerifyPolicy reaches the
// device's verifier (request_upgrade through the storage API).
func TestStorageVerifyPolicy(t *testing.T) {
	app, boot, _, root, sub := fixtureInputs(t)
	cfg := DefaultConfig(SignECDSA)
	cfg.KeyArea.KeyAlg = KeyAlgSHA256ECC
	pkg, err := Pack(PackOptions{Config: cfg, App: app, Flashboot: boot, RootKey: root, SubKey: sub})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pol  VerifyPolicy
		want Errcode
	}{{PolicySignatureLength, ErrcodeSucc}, {PolicyKeyAlg, ErrcodeFail}} {
		u, _ := newStoredDevice(t, pkg, root.XY(), Options{VerifyPolicy: tc.pol})
		if got := Code(u.RequestUpgrade()); got != tc.want {
			t.Errorf("%v: RequestUpgrade = %v, want %v", tc.pol, got, tc.want)
		}
	}
}

// newStoredDevice is a flash with the default table, an initialised
// library with the root key, and pkg stored through the storage API.
func newStoredDevice(t *testing.T, pkg []byte, rootKey [64]byte, o Options) (*Upg, *flash.Device) {
	t.Helper()
	f := flash.New()
	u := New(f, partition.Default(partition.LayoutCompress), o)
	u.SetRootKey(rootKey)
	if err := u.Init(); err != nil {
		t.Fatal(err)
	}
	if err := u.Prepare(uint32(len(pkg))); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(pkg); off += 4096 {
		if err := u.WritePackageSync(uint32(off), pkg[off:min(off+4096, len(pkg))]); err != nil {
			t.Fatal(err)
		}
	}
	return u, f
}

func FuzzParseSDK(f *testing.F) {
	for _, s := range []string{"1.10.101", "1.10.105", "", "1..2", "65535.0.1", "1.10.1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSDK(s)
		if err != nil {
			return
		}
		if w, err := ParseSDK(v.String()); err != nil || w != v {
			t.Errorf("%q -> %v does not round trip (%v)", s, v, err)
		}
		_ = v.Policy()
	})
}
