package flash_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

// readByte reads one byte of d.
func readByte(t *testing.T, d *flash.Device, a uint32) byte {
	t.Helper()
	var b [1]byte
	if err := d.Read(a, b[:]); err != nil {
		t.Fatal(err)
	}
	return b[0]
}

// TestWornSectorIsSilent: a worn sector's program and erase return no error
// (the SFC layer never reports a program or erase failure, docs/sdk-mapping.md §3.5) but
// leave its stuck bits at their stuck values; other sectors are untouched.
func TestWornSectorIsSilent(t *testing.T) {
	const sec = 0x5000
	d := flash.New()
	d.SetWornSector(sec+7, 42, true)
	if !d.WornSector(sec) || d.WornSector(sec+flash.SectorSize) {
		t.Fatal("WornSector does not report the marked sector only")
	}
	addrs, bitNos, ones := d.StuckBits(sec)
	if len(addrs) != flash.WornStuckBits {
		t.Fatalf("%d stuck bits, want %d", len(addrs), flash.WornStuckBits)
	}
	// Program zeros over the whole sector, then erase it: stuck-at-1 bits
	// stay 1 after the program, stuck-at-0 bits stay 0 after the erase.
	zeros := make([]byte, flash.SectorSize)
	if err := d.Program(sec, zeros); err != nil {
		t.Fatalf("program into a worn sector: %v, want success", err)
	}
	for i, a := range addrs {
		got := readByte(t, d, a)>>bitNos[i]&1 == 1
		if got != ones[i] {
			t.Fatalf("after program: bit %d at 0x%x = %v, want stuck %v", bitNos[i], a, got, ones[i])
		}
	}
	if err := d.Erase(sec); err != nil {
		t.Fatalf("erase of a worn sector: %v, want success", err)
	}
	wrong := 0
	for i, a := range addrs {
		got := readByte(t, d, a)>>bitNos[i]&1 == 1
		if got != ones[i] {
			t.Fatalf("after erase: bit %d at 0x%x = %v, want stuck %v", bitNos[i], a, got, ones[i])
		}
		if !ones[i] {
			wrong++
		}
	}
	all := d.Bytes()[sec : sec+flash.SectorSize]
	if n := flash.SectorSize - bytes.Count(all, []byte{0xFF}); n == 0 && wrong > 0 {
		t.Fatal("the erase left every byte 0xFF despite stuck-at-0 bits")
	}
	// The same seed picks the same bits; another seed other bits.
	d2 := flash.New()
	d2.SetWornSector(sec, 42, true)
	a2, _, _ := d2.StuckBits(sec)
	d3 := flash.New()
	d3.SetWornSector(sec, 43, true)
	a3, _, _ := d3.StuckBits(sec)
	if !equalU32(addrs, a2) || equalU32(addrs, a3) {
		t.Fatal("stuck bits are not a function of (seed, sector)")
	}
	// Neighbours are not affected; ClearFaults forgets the wear.
	flashtest.MustProgram(t, d, sec+flash.SectorSize, []byte{0x00})
	if readByte(t, d, sec+flash.SectorSize) != 0 {
		t.Fatal("a neighbouring sector was affected")
	}
	d.ClearFaults()
	if d.WornSector(sec) {
		t.Fatal("ClearFaults kept the worn sector")
	}
	flashtest.Check(t, d)
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWornSectorTornOp: a torn op on a worn sector (ApplyTorn, as a sweep
// applies it) leaves the stuck bits as the plain op does.
func TestWornSectorTornOp(t *testing.T) {
	const sec = 0x9000
	d := flash.New()
	d.SetWornSector(sec, 7, true)
	data := make([]byte, flash.PageSize)
	d.ApplyTorn(flash.Op{Index: 0, Kind: flash.OpProgram, Addr: sec, Len: flash.PageSize, Data: data}, flash.Tear{Kind: flash.TearAfter})
	addrs, bitNos, ones := d.StuckBits(sec)
	for i, a := range addrs {
		if a >= sec+flash.PageSize || !ones[i] {
			continue
		}
		if d.Bytes()[a]>>bitNos[i]&1 != 1 {
			t.Fatalf("torn program cleared stuck-at-1 bit %d at 0x%x", bitNos[i], a)
		}
	}
}

// TestTimeoutAt: the armed op, erase or program, returns ErrTimeout and
// changes nothing; bad sectors and program failures are timeouts too.
func TestTimeoutAt(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0x1000, []byte{0x00})
	d.TimeoutAt(1) // the next op: an erase
	if err := d.Erase(0x1000); !errors.Is(err, flash.ErrTimeout) {
		t.Fatalf("erase: %v, want ErrTimeout", err)
	}
	if readByte(t, d, 0x1000) != 0 {
		t.Fatal("the timed-out erase changed the sector")
	}
	if !errors.Is(flash.ErrBadSector, flash.ErrTimeout) || !errors.Is(flash.ErrProgramFailed, flash.ErrTimeout) {
		t.Fatal("ErrBadSector and ErrProgramFailed must be timeouts")
	}
	if err := d.Erase(0x1000); err != nil {
		t.Fatalf("the next erase: %v", err)
	}
}
