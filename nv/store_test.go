package nv

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/internal/testutil"
)

// The WS63 NV data partition (0x10) in the default table.
const (
	testBase = 0x3FC000
	testSize = 0x4000
)

// burn erases the NV region and programs img at its start, as the
// factory burn tool does.
func burn(t testing.TB, f *flash.Device, img []byte) {
	t.Helper()
	if err := f.EraseRange(testBase, testSize); err != nil {
		t.Fatal(err)
	}
	if len(img) > 0 {
		if err := f.Program(testBase, img); err != nil {
			t.Fatal(err)
		}
	}
}

func open(t testing.TB, f *flash.Device) *Store {
	t.Helper()
	s, err := Open(f, testBase, testSize)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func synthetic(t testing.TB, version string, size int) []byte {
	t.Helper()
	img, err := Synthetic(SyntheticKeys(version, 7, size))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// keyMap is the store's keys by id.
func keyMap(t testing.TB, s *Store) map[uint16]Key {
	t.Helper()
	keys, err := s.Keys()
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint16]Key{}
	for _, k := range keys {
		m[k.ID] = k
	}
	return m
}

func TestOpen(t *testing.T) {
	f := flash.New()
	before := f.OpCount()
	s := open(t, f)
	if n := f.OpCount() - before; n != 6 {
		t.Errorf("Open of a blank region: %d flash ops, want 6 (3 erases, 3 headers)", n)
	}
	for idx := range StorePages {
		phys, ok := s.Region().Lookup(StoreApp, uint8(idx))
		if !ok || phys != idx {
			t.Errorf("store page %d at physical %d (%v)", idx, phys, ok)
		}
	}
	if diff := cmp.Diff([]int{3}, s.Region().Unused()); diff != "" {
		t.Errorf("unused pages (-want +got):\n%s", diff)
	}
	before = f.OpCount()
	open(t, f)
	if n := f.OpCount() - before; n != 0 {
		t.Errorf("second Open: %d flash ops, want 0", n)
	}
	if _, err := Open(f, testBase+1, testSize); !errors.Is(err, ErrRegion) {
		t.Errorf("Open at an unaligned base: %v, want ErrRegion", err)
	}
	if _, err := Open(f, testBase, PageSize); !errors.Is(err, ErrRegion) {
		t.Errorf("Open of one page: %v, want ErrRegion", err)
	}
}

// TestOpenReference opens the real nv.bin as the device's NV data
// partition: its two pages are kept, the third is created.
func TestOpenReference(t *testing.T) {
	f := flash.New()
	burn(t, f, testutil.ReadReference(t, "device/nv.bin"))
	before := f.OpCount()
	s := open(t, f)
	if n := f.OpCount() - before; n != 2 {
		t.Errorf("%d flash ops, want 2 (create page 2)", n)
	}
	if n := len(keyMap(t, s)); n != 97 {
		t.Errorf("%d keys, want 97", n)
	}
	// A key written now goes to page 1 (page 0 is full).
	if err := s.Set(0x7000, []byte("user"), 0); err != nil {
		t.Fatal(err)
	}
	_, phys, ok := s.Region().find(StoreApp, 0x7000)
	if !ok || phys != 1 {
		t.Errorf("new key in physical page %d (%v), want 1", phys, ok)
	}
}

func TestSetGetDelete(t *testing.T) {
	f := flash.New()
	s := open(t, f)
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"set", func() error { return s.Set(1, []byte("one"), 0) }, nil},
		{"overwrite", func() error { return s.Set(1, []byte("uno"), 0) }, nil},
		{"non-upgrade", func() error { return s.Set(2, []byte("two"), NonUpgrade) }, nil},
		{"permanent", func() error { return s.Set(3, []byte("three"), Permanent) }, nil},
		{"change permanent", func() error { return s.Set(3, []byte("drei"), 0) }, ErrPermanent},
		{"delete permanent", func() error { return s.Delete(3) }, ErrPermanent},
		{"delete", func() error { return s.Delete(2) }, nil},
		{"delete again", func() error { return s.Delete(2) }, ErrNotFound},
		{"empty value", func() error { return s.Set(4, nil, 0) }, ErrValueLen},
		{"too long", func() error { return s.Set(4, make([]byte, MaxValueLen+1), 0) }, ErrValueLen},
		{"encrypted", func() error { return s.Set(4, []byte{1}, Encrypted) }, ErrEncrypted},
		{"largest", func() error { return s.Set(5, make([]byte, MaxValueLen), 0) }, nil},
	}
	for _, st := range steps {
		if err := st.do(); !errors.Is(err, st.want) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.want)
		}
	}
	want := map[uint16]Key{
		1: {ID: 1, Value: []byte("uno")},
		3: {ID: 3, Value: []byte("three"), Attr: Permanent},
		5: {ID: 5, Value: make([]byte, MaxValueLen)},
	}
	if diff := cmp.Diff(want, keyMap(t, s)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if _, _, err := s.Get(2); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
	}
	v, a, err := s.Get(1)
	if err != nil || string(v) != "uno" || a != 0 {
		t.Errorf("Get(1) = %q, %v, %v", v, a, err)
	}
	// The overwritten and deleted instances are still on flash, invalid.
	sum := s.Region().Summarize(StoreApp)
	if sum.Valid != 3 || sum.Invalid != 2 || sum.Corrupt != 0 {
		t.Errorf("summary %+v, want 3 valid, 2 invalid", sum)
	}
}

func TestSetUnchangedWritesNothing(t *testing.T) {
	f := flash.New()
	s := open(t, f)
	if err := s.Set(9, []byte("same"), NonUpgrade); err != nil {
		t.Fatal(err)
	}
	before := f.OpCount()
	if err := s.Set(9, []byte("same"), NonUpgrade); err != nil {
		t.Fatal(err)
	}
	if n := f.OpCount() - before; n != 0 {
		t.Errorf("rewriting the same value: %d flash ops, want 0", n)
	}
	// Dropping the non-upgrade attribute is a change.
	if err := s.Set(9, []byte("same"), 0); err != nil {
		t.Fatal(err)
	}
	if n := f.OpCount() - before; n == 0 {
		t.Error("changing the attribute wrote nothing")
	}
	if _, a, _ := s.Get(9); a != 0 {
		t.Errorf("attribute %v after the change, want normal", a)
	}
}

// TestDefrag rewrites one key until the store must defragment: the page
// moves to the spare with sequence number 1, every key survives, and the
// old copy becomes the next spare.
func TestDefrag(t *testing.T) {
	f := flash.New()
	s := open(t, f)
	for id := uint16(0x10); id < 0x18; id++ {
		if err := s.Set(id, bytes.Repeat([]byte{byte(id)}, 40), 0); err != nil {
			t.Fatal(err)
		}
	}
	erases := func() uint32 {
		n := uint32(0)
		for i := range testSize / PageSize {
			n += f.EraseCount(int(testBase/flash.SectorSize) + i)
		}
		return n
	}
	e0 := erases()
	value := make([]byte, 200)
	for i := 0; i < 80; i++ {
		value[0] = byte(i)
		if err := s.Set(0x01, value, 0); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if erases() == e0 {
		t.Fatal("80 writes of 224 bytes into 12 KiB did not defragment")
	}
	seqs := map[uint32]int{}
	for idx := range StorePages {
		phys, _ := s.Region().Lookup(StoreApp, uint8(idx))
		seqs[s.Region().Pages[phys].Header.Seq]++
	}
	if seqs[0] == StorePages {
		t.Errorf("no page has a new sequence number: %v", seqs)
	}
	m := keyMap(t, s)
	if len(m) != 9 || m[1].Value[0] != 79 {
		t.Errorf("%d keys, key 1 = % x…; want 9 keys, key 1 starting 4f", len(m), m[1].Value[:1])
	}
	for id := uint16(0x10); id < 0x18; id++ {
		if !bytes.Equal(m[id].Value, bytes.Repeat([]byte{byte(id)}, 40)) {
			t.Errorf("key 0x%x lost or changed in defragmentation", id)
		}
	}
	if u := s.Region().Unused(); len(u) != 1 {
		t.Errorf("unused pages %v, want one spare", u)
	}
}

func TestNoSpace(t *testing.T) {
	f := flash.New()
	s := open(t, f)
	var id uint16
	var err error
	for id = 1; id < 1000; id++ {
		if err = s.Set(id, make([]byte, 500), 0); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("key %d: %v, want ErrNoSpace", id, err)
	}
	// 7 keys of 520 bytes fit a page: 21 in the store.
	if id != 22 {
		t.Errorf("store full at key %d, want 22", id)
	}
	if n := len(keyMap(t, s)); n != int(id)-1 {
		t.Errorf("%d keys readable, want %d", n, id-1)
	}
}

// mergeFixture is a device store burned with NV image v1 and given user
// keys, and the v2 image the upgrade carries.
type mergeFixture struct {
	f    *flash.Device
	user map[uint16][]byte
	v2   []byte
}

func newMergeFixture(t testing.TB, size int) *mergeFixture {
	t.Helper()
	fx := &mergeFixture{f: flash.New(), user: map[uint16][]byte{
		0x7001: []byte("home-ssid"),
		0x7002: []byte("wifi-password"),
		0x7003: bytes.Repeat([]byte{0xA5}, 300),
	}}
	burn(t, fx.f, synthetic(t, "1.0.0", size))
	s := open(t, fx.f)
	for _, id := range slices.Sorted(func(yield func(uint16) bool) {
		for id := range fx.user {
			if !yield(id) {
				return
			}
		}
	}) {
		if err := s.Set(id, fx.user[id], 0); err != nil {
			t.Fatal(err)
		}
	}
	fx.v2 = synthetic(t, "2.0.0", size)
	return fx
}

// check verifies the state after a complete merge of v2.
func (fx *mergeFixture) check(t testing.TB, s *Store) {
	t.Helper()
	m := keyMap(t, s)
	for id, v := range fx.user {
		if !bytes.Equal(m[id].Value, v) {
			t.Errorf("user key 0x%04x = %q, want %q", id, m[id].Value, v)
		}
	}
	for _, k := range SyntheticKeys("2.0.0", 7, len(fx.v2)) {
		want := k.Value
		switch k.ID {
		case SyntheticCalibKey:
			want = []byte("calib-1.0.0") // non-upgradable: the device keeps its own
		case SyntheticPermanentKey:
			want = []byte("perm-1.0.0")
		}
		if !bytes.Equal(m[k.ID].Value, want) {
			t.Errorf("key 0x%04x = %q, want %q", k.ID, m[k.ID].Value, want)
		}
	}
}

func TestMerge(t *testing.T) {
	fx := newMergeFixture(t, 8<<10)
	s := open(t, fx.f)
	rep, err := s.Merge(bytes.NewReader(fx.v2), int64(len(fx.v2)))
	if err != nil {
		t.Fatal(err)
	}
	fx.check(t, s)
	n := len(SyntheticKeys("2.0.0", 7, len(fx.v2)))
	if rep.Pages != 2 || len(rep.Written) != n-2 || rep.Unchanged != 0 || rep.Ignored != 0 || rep.SkippedPages != 0 {
		t.Errorf("report %+v; want 2 pages, %d written", rep, n-2)
	}
	if diff := cmp.Diff([]uint16{SyntheticCalibKey, SyntheticPermanentKey}, rep.Protected); diff != "" {
		t.Errorf("protected (-want +got):\n%s", diff)
	}
	// The merge needed a defragmentation: 8 KiB of new values into a
	// store holding 8 KiB of old ones.
	defragged := false
	for idx := range StorePages {
		phys, _ := s.Region().Lookup(StoreApp, uint8(idx))
		defragged = defragged || s.Region().Pages[phys].Header.Seq > 0
	}
	if !defragged {
		t.Error("the merge did not defragment any page")
	}
	// Merging again changes nothing.
	before := fx.f.OpCount()
	rep, err = s.Merge(bytes.NewReader(fx.v2), int64(len(fx.v2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Written) != 0 || rep.Unchanged != n-2 || fx.f.OpCount() != before {
		t.Errorf("second merge: %d written, %d unchanged, %d flash ops", len(rep.Written), rep.Unchanged, fx.f.OpCount()-before)
	}
}

func TestMergeImages(t *testing.T) {
	keys := []Key{{ID: 1, Value: []byte("a")}, {ID: 2, Value: []byte("b")}}
	app, _ := BuildPage(StoreApp, 0, 0, keys)
	other, _ := BuildPage(StoreSCPU, 0, 0, []Key{{ID: 3, Value: []byte("c")}})
	// A cleared key in the image is not written.
	cleared := bytes.Clone(app)
	cleared[PageHeaderLen+keyOffValid] = validNo
	// The merge looks at the store id only: a page with broken check
	// words is merged all the same.
	broken := bytes.Clone(app)
	broken[4] ^= 0xFF
	for _, c := range []struct {
		name    string
		img     []byte
		n       int64
		want    error
		written []uint16
		skipped int
		ignored int
	}{
		{"app page", app, PageSize, nil, []uint16{1, 2}, 0, 0},
		{"other store skipped", append(bytes.Clone(other), app...), 2 * PageSize, nil, []uint16{1, 2}, 1, 0},
		{"cleared key ignored", cleared, PageSize, nil, []uint16{2}, 0, 1},
		{"check words not checked", broken, PageSize, nil, []uint16{1, 2}, 0, 0},
		{"length not a page multiple", app, PageSize - 16, ErrImageLength, nil, 0, 0},
		{"empty", nil, 0, nil, nil, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := flash.New()
			s := open(t, f)
			rep, err := s.Merge(bytes.NewReader(c.img), c.n)
			if !errors.Is(err, c.want) {
				t.Fatalf("Merge: %v, want %v", err, c.want)
			}
			if diff := cmp.Diff(c.written, rep.Written); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
			if rep.SkippedPages != c.skipped || rep.Ignored != c.ignored {
				t.Errorf("skipped %d, ignored %d; want %d, %d", rep.SkippedPages, rep.Ignored, c.skipped, c.ignored)
			}
		})
	}
}

// TestMergeIntoReference merges a synthetic image into the real nv.bin:
// the store's non-upgradable and permanent keys stay as they are.
func TestMergeIntoReference(t *testing.T) {
	ref := testutil.ReadReference(t, "device/nv.bin")
	f := flash.New()
	burn(t, f, ref)
	s := open(t, f)
	before := keyMap(t, s)
	img, err := Synthetic([]Key{
		{ID: 0x0003, Value: []byte{9}},             // permanent on the device
		{ID: 0x0005, Value: []byte{9, 9, 9, 9, 9}}, // non-upgradable on the device
		{ID: 0x2130, Value: []byte{1, 2}},          // upgradable: replaced
		{ID: 0x7777, Value: []byte("new")},         // added
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Merge(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint16{0x0003, 0x0005}, rep.Protected); diff != "" {
		t.Errorf("protected (-want +got):\n%s", diff)
	}
	after := keyMap(t, s)
	want := before
	want[0x2130] = Key{ID: 0x2130, Value: []byte{1, 2}}
	want[0x7777] = Key{ID: 0x7777, Value: []byte("new")}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("keys after the merge (-want +got):\n%s", diff)
	}
}

// TestMergeEveryCut cuts the power at every flash operation of a merge,
// with every tear model, then powers on and runs the merge again (the NV
// task's next attempt). No user key is ever lost or changed — right after
// the cut, and after the retry — and every image key ends with its new
// value, except where the SDK's torn-header hazard (ParsePage) hides the
// key the retry writes right after a torn header: that key is then
// missing, never old. The test counts those cut points.
func TestMergeEveryCut(t *testing.T) {
	fx := newMergeFixture(t, 8<<10)
	base := fx.f.Snapshot()
	start := fx.f.OpCount()
	if _, err := open(t, fx.f).Merge(bytes.NewReader(fx.v2), int64(len(fx.v2))); err != nil {
		t.Fatal(err)
	}
	total := fx.f.OpCount() - start
	if total < 100 {
		t.Fatalf("the merge took only %d flash ops", total)
	}
	want := map[uint16][]byte{}
	for _, k := range SyntheticKeys("2.0.0", 7, len(fx.v2)) {
		want[k.ID] = k.Value
	}
	want[SyntheticCalibKey] = []byte("calib-1.0.0")
	want[SyntheticPermanentKey] = []byte("perm-1.0.0")
	tears := []flash.Tear{{Kind: flash.TearBefore}, {Kind: flash.TearAfter}, {Kind: flash.TearPrefix, K: 7}, {Kind: flash.TearBits, Seed: 3}}
	hidden := map[string]int{}
	for _, tear := range tears {
		// Every op with tear=before; every fifth with the others (all of
		// them in -long runs would take minutes on the 2-core CI box).
		stride := uint64(5)
		if tear.Kind == flash.TearBefore {
			stride = 1
		}
		if testing.Short() {
			stride *= 5
		}
		for op := uint64(0); op < total; op += stride {
			fx.f.Restore(base)
			fx.f.CutAt(start+op, tear)
			s, err := Open(fx.f, testBase, testSize)
			if err == nil {
				_, err = s.Merge(bytes.NewReader(fx.v2), int64(len(fx.v2)))
			}
			name := fmt.Sprintf("op %d (%s)", op, tear)
			if !errors.Is(err, flash.ErrPowerOff) {
				t.Fatalf("%s: merge returned %v, want a power cut", name, err)
			}
			fx.f.PowerOn()
			reg, err := ParseRegion(sectionOf(fx.f), testSize)
			if err != nil {
				t.Fatal(err)
			}
			for id, v := range fx.user {
				if k, ok := reg.Get(id); !ok || !bytes.Equal(k.Value, v) {
					t.Fatalf("%s: user key 0x%04x lost right after the cut", name, id)
				}
			}
			s = open(t, fx.f)
			if _, err := s.Merge(bytes.NewReader(fx.v2), int64(len(fx.v2))); err != nil {
				t.Fatalf("%s: retry: %v", name, err)
			}
			m := keyMap(t, s)
			for id, v := range fx.user {
				if !bytes.Equal(m[id].Value, v) {
					t.Fatalf("%s: user key 0x%04x = %q after the retry, want %q", name, id, m[id].Value, v)
				}
			}
			for id, v := range want {
				k, ok := m[id]
				switch {
				case !ok:
					hidden[tear.Kind.String()]++
				case !bytes.Equal(k.Value, v):
					t.Fatalf("%s: key 0x%04x = %x after the retry, want %x", name, id, k.Value, v)
				}
			}
			if len(m) > len(want)+len(fx.user) {
				t.Fatalf("%s: %d keys after the retry, want at most %d", name, len(m), len(want)+len(fx.user))
			}
		}
	}
	t.Logf("%d ops: image keys hidden by a torn header, by tear model: %v", total, hidden)
}

func sectionOf(f *flash.Device) *bytes.Reader {
	b := make([]byte, testSize)
	f.ReadAt(b, testBase)
	return bytes.NewReader(b)
}
