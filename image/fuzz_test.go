package image

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
)

// fuzzSeeds are images built here (no reference file is copied into the
// repository): hash-only and ECDSA, each kind, and a few broken ones.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	k := testKey(f, "fuzz")
	for i, kind := range []Kind{KindApp, KindFlashboot, KindFlashbootBackup} {
		var key *PrivateKey
		if i == 1 {
			key = k
		}
		b, err := Synthetic(Ident{Kind: kind, Version: "fuzz", Seed: uint64(i)}, 256+i*100, key)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	good := seeds[0]
	seeds = append(seeds,
		good[:HeaderLen],
		messWith(good, setU32(OffCodeAreaLen, 0xFFFFFFFF)),
		messWith(good, flip(HeaderLen+1)),
		messWith(good, flip(OffInfoStructLength)),
	)
	return seeds
}

// FuzzParse: no panic on any input, allocation bounded by the input size
// (the claimed size, never a length read from the input), and what parses re-encodes to
// the bytes it was parsed from.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, uint32(0))
		f.Add(s, uint32(1<<20))
	}
	f.Fuzz(func(t *testing.T, data []byte, extra uint32) {
		// extra: the claimed size runs past the data, as with a partition
		// reader whose ReadAt fails early.
		size := int64(len(data)) + int64(extra)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		im, err := Parse(bytes.NewReader(data), size)
		runtime.ReadMemStats(&after)
		// The code area is allocated once its length is checked against
		// the claimed size, so the bound is that size (capped at MaxLen)
		// plus room for the allocator's page rounding and error text.
		if grown, limit := after.TotalAlloc-before.TotalAlloc, uint64(min(size, MaxLen))+64<<10; grown > limit {
			t.Fatalf("Parse of %d bytes claimed as %d allocated %d bytes (limit %d)", len(data), size, grown, limit)
		}
		if extra == 0 {
			// ParseBytes, which slices the code out of data, agrees.
			im2, err2 := ParseBytes(data)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("Parse: %v; ParseBytes: %v", err, err2)
			}
			if im != nil && (im2 == nil || !bytes.Equal(im.Code, im2.Code) || im.Info != im2.Info) {
				t.Fatal("ParseBytes returned another image")
			}
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			if im != nil && !errors.Is(err, ErrBodyHash) {
				t.Fatalf("image returned with %v", err)
			}
			if fe.Off < 0 || fe.Off > size {
				t.Fatalf("offset %d outside the %d-byte input", fe.Off, size)
			}
			if im == nil {
				return
			}
		}
		if im.Len() > len(data) {
			t.Fatalf("image of %d bytes parsed from %d", im.Len(), len(data))
		}
		b, _ := im.MarshalBinary()
		if !bytes.Equal(b, data[:im.Len()]) {
			t.Fatal("re-encoded image differs from its input")
		}
		_ = Verify(im, VerifyOptions{SecureBoot: true})
		im.Ident()
	})
}

// FuzzParsePrivateKeyPEM: no panic on any input; a key that parses
// re-encodes to a key that parses to the same scalar.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	k := testKey(f, "fuzz pem")
	pem := k.MarshalPEM()
	f.Add(pem)
	f.Add(pem[len("-----BEGIN EC PARAMETERS-----\nBgkrJAMDAggBAQc=\n-----END EC PARAMETERS-----\n"):])
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMIGIAgEAMBQGByqGSM49AgEGCSskAwMCCAEBBwRtMGsCAQEEIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBoUQDQgAE\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("not a key"))
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := ParsePrivateKeyPEM(data)
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) && (fe.Off < 0 || fe.Off > int64(len(data))) {
				t.Fatalf("offset %d outside the %d-byte input", fe.Off, len(data))
			}
			return
		}
		again, err := ParsePrivateKeyPEM(key.MarshalPEM())
		if err != nil || again.D.Cmp(key.D) != 0 {
			t.Fatalf("re-encoded key: %v", err)
		}
	})
}
