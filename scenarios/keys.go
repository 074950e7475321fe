package scenarios

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/fnv"

	"github.com/ws63emu/ws63emu/image"
)

// seedStream is the scenario's only source of randomness: the bytes
// SHA-256(seed ‖ label ‖ counter) for counter = 0, 1, 2, …, so every key
// and every default image seed is a pure function of (scenario seed,
// purpose).
type seedStream struct {
	seed  uint64
	label string
	ctr   uint64
	buf   []byte
}

func newSeedStream(seed uint64, label string) *seedStream {
	return &seedStream{seed: seed, label: label}
}

func (s *seedStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.buf) == 0 {
			h := sha256.New()
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], s.seed)
			h.Write(b[:])
			h.Write([]byte(s.label))
			binary.LittleEndian.PutUint64(b[:], s.ctr)
			h.Write(b[:])
			s.ctr++
			s.buf = h.Sum(nil)
		}
		c := copy(p[n:], s.buf)
		s.buf = s.buf[c:]
		n += c
	}
	return n, nil
}

// seededKey derives a brainpoolP256r1 key for a purpose ("root",
// "fota-sub", "flashboot", "app") from the scenario seed.
func seededKey(seed uint64, purpose string) (*image.PrivateKey, error) {
	return image.GenerateKey(newSeedStream(seed, "key:"+purpose))
}

// nameSeed is the default synthetic seed of an image: the scenario seed
// mixed with the FNV-1a hash of the image's name, so two images of one
// scenario differ throughout and a rename changes the bytes.
func nameSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}
