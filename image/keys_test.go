package image

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"os"
	"github.com/ws63emu/ws63emu/internal/testutil"
)

func TestSampleKeysQuick(t *testing.T) {
	for _, n := range []string{"sdk/ec_bp256_oem_root_private_key.pem", "sdk/ec_bp256_app_private_key.pem"} {
		k, err := LoadPrivateKey(testutil.Reference(t, n))
		if err != nil { t.Fatal(err) }
		d := sha256.Sum256([]byte("hello"))
		sig, err := k.SignDigest(d)
		if err != nil { t.Fatal(err) }
		if !VerifyDigest(k.XY(), d, sig) { t.Fatal("verify") }
		sig[5] ^= 1
		if verifyDigest(k.XY(), d, sig) { t.Fatal("verify bad") }
		k2, err := ParsePrivateKeyPEM(k.MarshalPEM())
		if err != nil || k2.D.Cmp(k.D) != 0 { t.Fatal(err) }
		os.WriteFile("/tmp/k.pem", k.MarshalPEM(), 0644)
	}
	k, _ := LoadPrivateKey(testutil.Reference(t, "sdk/ec_bp256_oem_root_private_key.pem"))
	area := make([]byte, 0x80)
	// root key area
	put := func(o int, v uint32) { area[o]=byte(v); area[o+1]=byte(v>>8); area[o+2]=byte(v>>16); area[o+3]=byte(v>>24) }
	put(0, 0x4BA5C31E); put(4, 0x10000); put(8, 0x80); put(12, 1); put(16, 1); put(20, 0x2A13C812); put(24, 0x2A13C812); put(28, 0x40)
	xy := k.XY(); copy(area[64:], xy[:])
	h := sha256.Sum256(area)
	want := strings.TrimSpace(string(testutil.ReadReference(t, "sdk/root_pubk.bin.hash")))
	if !strings.EqualFold(hex.EncodeToString(h[:]), want) { t.Fatalf("hash %x want %s", h, want) }
}
