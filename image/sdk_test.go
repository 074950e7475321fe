package image

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

// sdkImages are the signed images the SDK made (reference/sdk-made),
// SignSuite=4 hash-only.
var sdkImages = []struct {
	file string
	kind Kind
}{
	{"sdk-made/app_v1-sign.bin", KindApp},
	{"sdk-made/app_v2-sign.bin", KindApp},
	{"sdk-made/flashboot_v1_sign.bin", KindFlashboot},
	{"sdk-made/flashboot_v2_sign.bin", KindFlashboot},
}

// TestBuildMatchesSDK rebuilds each SDK-made image from its own code bytes
// and compares every byte.
func TestBuildMatchesSDK(t *testing.T) {
	for _, tc := range sdkImages {
		t.Run(tc.file, func(t *testing.T) {
			want := testutil.ReadReference(t, tc.file)
			got, err := Build(BuildOptions{Kind: tc.kind, Code: want[HeaderLen:]})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("built %d bytes, SDK %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("first difference at 0x%x: built 0x%02x, SDK 0x%02x", i, got[i], want[i])
				}
			}
		})
	}
}

func TestParseSDKImages(t *testing.T) {
	for _, tc := range sdkImages {
		t.Run(tc.file, func(t *testing.T) {
			data := testutil.ReadReference(t, tc.file)
			im, err := Parse(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if im.Kind != tc.kind || im.Len() != len(data) {
				t.Errorf("kind %v len %d, want %v %d", im.Kind, im.Len(), tc.kind, len(data))
			}
			if !im.BodyHashOK() {
				t.Error("BodyHashOK false")
			}
			if _, ok := im.Ident(); ok {
				t.Error("real SDK code reported a synthetic ident record")
			}
			if err := Verify(im, VerifyOptions{}); err != nil {
				t.Errorf("secure boot off: %v", err)
			}
			// Hash-only signatures do not pass ECDSA: secure boot on rejects them.
			if err := Verify(im, VerifyOptions{SecureBoot: true}); !errors.Is(err, ErrKeyAreaSig) {
				t.Errorf("secure boot on: err %v, want ErrKeyAreaSig", err)
			}
			back, _ := im.MarshalBinary()
			if !bytes.Equal(back, data) {
				t.Error("MarshalBinary of the parsed image differs from the file")
			}
			// The same image at the start of a partition of 0xFF.
			part := bytes.Repeat([]byte{0xFF}, 0x80000)
			copy(part, data)
			im2, err := Parse(bytes.NewReader(part), int64(len(part)))
			if err != nil {
				t.Fatalf("in a partition: %v", err)
			}
			if im2.Len() != len(data) {
				t.Errorf("in a partition: Len %d, want %d", im2.Len(), len(data))
			}
		})
	}
}

// TestReadFileSDK checks the file wrapper and that errors name the file.
func TestReadFileSDK(t *testing.T) {
	p := testutil.Reference(t, sdkImages[0].file)
	im, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if im.Kind != KindApp {
		t.Errorf("kind %v", im.Kind)
	}
	if _, err := ReadFile(testutil.Reference(t, "sdk/fota.cfg")); err == nil || !bytes.Contains([]byte(err.Error()), []byte("fota.cfg")) {
		t.Errorf("ReadFile(fota.cfg) err %v, want an error naming the file", err)
	}
}
