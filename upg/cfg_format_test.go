package upg

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

// TestConfigFormatRoundTrip: Format writes what ParseConfig reads back
// equal, for the built-in configs and the SDK's files.
func TestConfigFormatRoundTrip(t *testing.T) {
	cfgs := map[string]*Config{"default ecdsa": DefaultConfig(SignECDSA), "default sha256": DefaultConfig(SignSHA256)}
	for _, p := range []string{"sdk/fota.cfg", "sdk/fota_sha256_only.cfg"} {
		c, err := LoadConfig(testutil.Reference(t, p))
		if err != nil {
			t.Fatal(err)
		}
		cfgs[p] = c
	}
	enc := DefaultConfig(SignECDSA)
	enc.Images[2].Encrypt, enc.Images[2].ReEncFlag = true, FlagEncrypted
	enc.Images[2].ProtectionKeyL1[0], enc.Images[2].IV[15] = 0xAB, 0x01
	cfgs["encrypted app"] = enc
	for name, c := range cfgs {
		got, err := ParseConfig(bytes.NewReader(c.Format()), "f.cfg")
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, c.Format())
			continue
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", name, d)
		}
	}
}
