package upg

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/sfc"
)

func code(t testing.TB, seed uint64, n int) []byte {
	t.Helper()
	return image.SyntheticCode(image.Ident{Kind: image.KindApp, Version: "memo", Seed: seed}, n)
}

func TestMemoSum256(t *testing.T) {
	m := NewMemo()
	a, b := code(t, 1, 64<<10), code(t, 2, 64<<10)
	for round := range 3 {
		for _, d := range [][]byte{a, b, a[:memoMinLen-1], bytes.Clone(a)} {
			if got, want := m.Sum256(d), sha256.Sum256(d); got != want {
				t.Fatalf("round %d: Sum256 = %x, want %x", round, got[:4], want[:4])
			}
		}
	}
	// A copy of a that differs in one byte is not taken for a.
	c := bytes.Clone(a)
	c[len(c)/3] ^= 1
	if got, want := m.Sum256(c), sha256.Sum256(c); got != want {
		t.Fatalf("changed bytes: Sum256 = %x, want %x", got[:4], want[:4])
	}
	st := m.Stats()
	if st.SumHits == 0 || st.SumMisses == 0 {
		t.Errorf("stats %+v: want hits and misses", st)
	}
	var nilMemo *Memo
	if got, want := nilMemo.Sum256(a), sha256.Sum256(a); got != want {
		t.Errorf("nil memo: Sum256 = %x, want %x", got[:4], want[:4])
	}
}

func TestMemoRead(t *testing.T) {
	m := NewMemo()
	data := code(t, 3, 256<<10)
	r := bytes.NewReader(data)
	first, n, err := m.Read(r, 100, 100<<10)
	if err != nil || n != 100<<10 || !bytes.Equal(first, data[100:100+100<<10]) {
		t.Fatalf("Read = %d bytes, %v, equal %v", n, err, bytes.Equal(first, data[100:100+100<<10]))
	}
	second, _, _ := m.Read(r, 100, 100<<10)
	if &second[0] != &first[0] {
		t.Errorf("second Read of the same bytes: want the memo's copy")
	}
	if m.Sum256(second) != sha256.Sum256(second) {
		t.Errorf("Sum256 of the memo's copy is wrong")
	}
	// Other bytes at the same range: a new copy with those bytes.
	other := bytes.Clone(data)
	other[150] ^= 0xFF
	third, _, _ := m.Read(bytes.NewReader(other), 100, 100<<10)
	if &third[0] == &first[0] || !bytes.Equal(third, other[100:100+100<<10]) {
		t.Errorf("Read of changed bytes returned the remembered copy")
	}
	if m.Sum256(third) != sha256.Sum256(third) {
		t.Errorf("Sum256 of the changed copy is wrong")
	}
	// A short read reports what ReadAt reports.
	b, n, err := m.Read(r, int64(len(data))-10, 20<<10)
	if n != 10 || !errors.Is(err, io.EOF) || len(b) != 20<<10 || !bytes.Equal(b[:10], data[len(data)-10:]) {
		t.Errorf("short Read = %d, %v, len %d", n, err, len(b))
	}
	var nilMemo *Memo
	b, n, err = nilMemo.Read(r, 0, 5)
	if n != 5 || err != nil || !bytes.Equal(b, data[:5]) {
		t.Errorf("nil memo Read = %d, %v", n, err)
	}
}

// runTask runs the compressed image task for payload (placed at src in
// the fota partition) on a fresh flash, with memo m (nil: none), and
// returns every chip command (kind, address, length, SHA-256 of the
// data), the simulated time and the task's error code.
func runTask(t *testing.T, m *Memo, payload []byte, failAt ...uint64) ([]string, time.Duration, Errcode) {
	t.Helper()
	dev := flash.New()
	tab := partition.Default(partition.LayoutCompress)
	fota, _ := tab.Lookup(partition.FotaData)
	app, _ := tab.Lookup(partition.ImageA)
	src := fota.Offset + 0x1000
	if err := dev.Program(src, payload); err != nil {
		t.Fatal(err)
	}
	for _, n := range failAt { // counted from the task's first command
		dev.FailProgramAt(dev.OpCount() + n)
	}
	var ops []string
	dev.SetHook(func(op flash.Op) {
		ops = append(ops, fmt.Sprintf("%v 0x%06x+%d %x", op.Kind, op.Addr, op.Len, sha256.Sum256(op.Data)))
	})
	start := dev.Elapsed()
	u := New(sfc.New(dev), tab, Options{Memo: m})
	err := u.compressTask(ImageHeader{ImageLen: uint32(len(payload)+15) &^ 15}, app, src)
	return ops, dev.Elapsed() - start, Code(err)
}

// TestMemoDecode: a remembered task is replayed only over equal input
// chunks, with the same chip commands, data and clock; changed bytes
// anywhere give what a real decoder gives.
func TestMemoDecode(t *testing.T) {
	raw := code(t, 4, 100<<10)
	payload, err := CompressLZMA(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantOps, wantTime, wantCode := runTask(t, nil, payload)
	if wantCode != 0 || len(wantOps) < 100 {
		t.Fatalf("plain task: %v, %d ops", wantCode, len(wantOps))
	}
	m := NewMemo()
	for round := range 3 { // record, then replay twice
		ops, tm, c := runTask(t, m, payload)
		if d := cmp.Diff(wantOps, ops); d != "" || tm != wantTime || c != wantCode {
			t.Fatalf("round %d: time %v/%v code %v, commands (-plain +memo):\n%s", round, tm, wantTime, c, d)
		}
	}
	if st := m.Stats(); st.DecodeMisses != 1 || st.DecodeHits != 2 {
		t.Errorf("stats %+v: want 1 miss then 2 hits", st)
	}
	for _, off := range []int{5, LZMAHeaderLen + 3, len(payload) / 2, len(payload) - 20} {
		t.Run(fmt.Sprintf("changed@%d", off), func(t *testing.T) {
			p := bytes.Clone(payload)
			p[off] ^= 0x55
			wantOps, wantTime, wantCode := runTask(t, nil, p)
			ops, tm, c := runTask(t, m, p)
			if d := cmp.Diff(wantOps, ops); d != "" || tm != wantTime || c != wantCode {
				t.Errorf("time %v/%v code %v/%v, commands (-plain +memo):\n%s", tm, wantTime, c, wantCode, d)
			}
		})
	}
	if st := m.Stats(); st.DecodeFallbacks == 0 {
		t.Errorf("stats %+v: a stream changed in the middle did not fall back", st)
	}
	// A task that a program failure ended is not remembered: the same
	// input on a sound flash must run to success.
	m = NewMemo()
	failOps, _, c := runTask(t, m, payload, 300)
	if c != ErrcodeUpgDecompressFail || len(failOps) > 320 {
		t.Fatalf("program failure: %v after %d commands", c, len(failOps))
	}
	if ops, _, c := runTask(t, m, payload); c != 0 || len(ops) != len(wantOps) {
		t.Errorf("after a failed run: %v, %d commands, want success with %d", c, len(ops), len(wantOps))
	}
}
