package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/nv"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// testBoard is a bare device: flash with the default table, no emulator.
type testBoard struct {
	f      *flash.Device
	t      partition.Table
	prints []string
	flags  []string
}

func (b *testBoard) Flash() upg.Flash       { return b.f }
func (b *testBoard) Table() partition.Table { return b.t }
func (b *testBoard) Efuse() *efuse.Bank     { return new(efuse.Bank) }
func (b *testBoard) Print(msg string)       { b.prints = append(b.prints, msg) }
func (b *testBoard) UpgOptions() upg.Options {
	return upg.Options{Hooks: upg.Hooks{FlagWrite: b.flagWrite}}
}
func (b *testBoard) flagWrite(field string, v []byte) {
	if strings.HasPrefix(field, "nv_flag") { // the SDK writes only the bytes it changes
		b.flags = append(b.flags, field+"="+string(v))
	}
}

// nvFixture is a device burned with NV image v1 holding a user key, and a
// package (app, flashboot, NV image v2) stored and applied by flashboot's
// uapi_upg_start, so that nv_flag reads STARTED.
type nvFixture struct {
	b    *testBoard
	v2   []byte
	pkg  []byte
	nvAt uint32 // package offset of the NV data
}

func newNVFixture(t *testing.T) *nvFixture {
	t.Helper()
	b := &testBoard{f: flash.New(), t: partition.Default(partition.LayoutCompress)}
	nvPart, _ := b.t.Lookup(partition.NVData)
	v1, err := nv.Synthetic(nv.SyntheticKeys("1.0.0", 1, 8<<10))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.f.Program(nvPart.Offset, v1); err != nil {
		t.Fatal(err)
	}
	fx := &nvFixture{b: b}
	if fx.v2, err = nv.Synthetic(nv.SyntheticKeys("2.0.0", 2, 8<<10)); err != nil {
		t.Fatal(err)
	}
	appImg, _ := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2", Seed: 2}, 9000, nil)
	bootImg, _ := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2", Seed: 2}, 3000, nil)
	fx.pkg, err = upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(upg.SignSHA256), Pkt: []string{upg.PktApp, upg.PktNV},
		App: appImg, Flashboot: bootImg, NV: fx.v2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := upg.ReadPackage(bytes.NewReader(fx.pkg), int64(len(fx.pkg)))
	if err != nil {
		t.Fatal(err)
	}
	fx.nvAt = p.Headers[p.ImageIndex(upg.ImageIDNV)].ImageOffset

	a := fx.start(t)
	if err := a.NVWrite(0x7001, []byte("home-ssid"), 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Store(bytes.NewReader(fx.pkg), uint32(len(fx.pkg)), 0); err != nil {
		t.Fatal(err)
	}
	if err := a.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	fb := upg.New(b.f, b.t, b.UpgOptions())
	if err := fb.Init(); err != nil {
		t.Fatal(err)
	}
	if err := fb.Start(); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *nvFixture) start(t *testing.T) *App {
	t.Helper()
	a, err := Start(fx.b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (fx *nvFixture) keys(t *testing.T) map[uint16]string {
	t.Helper()
	e, _ := fx.b.t.Lookup(partition.NVData)
	s, err := nv.Open(fx.b.f, e.Offset, e.Size)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.Keys()
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint16]string{}
	for _, k := range keys {
		m[k.ID] = string(k.Value)
	}
	return m
}

func TestNVTaskUpgrades(t *testing.T) {
	fx := newNVFixture(t)
	fx.b.flags = nil
	a := fx.start(t)
	if a.NV.Outcome != NVUpgraded || a.NV.Status != upg.ImageStarted || a.NV.Err != nil {
		t.Fatalf("NV task: %+v", a.NV)
	}
	// flashboot left 0F FF FF; the app finishes it.
	if diff := cmp.Diff([]string{"nv_flag=\x00\x00\x00"}, fx.b.flags); diff != "" {
		t.Errorf("nv_flag writes (-want +got):\n%q", diff)
	}
	k := fx.keys(t)
	for id, want := range map[uint16]string{
		nv.SyntheticVersionKey:   "nv-2.0.0",
		nv.SyntheticCalibKey:     "calib-1.0.0",
		nv.SyntheticPermanentKey: "perm-1.0.0",
		0x7001:                   "home-ssid",
	} {
		if k[id] != want {
			t.Errorf("key 0x%04x = %q, want %q", id, k[id], want)
		}
	}
	if diff := cmp.Diff([]uint16{nv.SyntheticCalibKey, nv.SyntheticPermanentKey}, a.NV.Merge.Protected); diff != "" {
		t.Errorf("protected (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"[NV] kv upgrade success!"}, fx.b.prints); diff != "" {
		t.Errorf("prints (-want +got):\n%s", diff)
	}
	// The next start-up has nothing to do.
	if a := fx.start(t); a.NV.Outcome != NVNotNeeded || a.NV.Status != upg.ImageFinished {
		t.Errorf("second start-up: %+v", a.NV)
	}
}

// TestNVTaskHashFailure corrupts the NV data in the stored package after
// flashboot recorded it: three start-ups fail the hash check, each
// consuming an attempt, and the fourth finds nv_flag 00 00 00.
func TestNVTaskHashFailure(t *testing.T) {
	fx := newNVFixture(t)
	fota, _ := fx.b.t.Lookup(partition.FotaData)
	if err := fx.b.f.FlipBit(fota.Offset+fx.nvAt+100, 3); err != nil {
		t.Fatal(err)
	}
	before := fx.keys(t)
	fx.b.flags = nil
	want := []NVOutcome{NVFailed, NVFailed, NVGivenUp, NVNotNeeded}
	for i, w := range want {
		a := fx.start(t)
		if a.NV.Outcome != w {
			t.Errorf("start-up %d: %s, want %s", i+1, a.NV.Outcome, w)
		}
		if w != NVNotNeeded && !errors.Is(a.NV.Err, upg.ErrcodeFail) {
			t.Errorf("start-up %d: error %v, want ERRCODE_FAIL", i+1, a.NV.Err)
		}
	}
	// Attempt 1 was marked STARTED by flashboot: fail it, then start and
	// fail the second and the third.
	wantFlags := []string{"nv_flag=\x00", "nv_flag[1]=\x0f", "nv_flag[1]=\x00", "nv_flag[2]=\x0f", "nv_flag[2]=\x00"}
	if diff := cmp.Diff(wantFlags, fx.b.flags); diff != "" {
		t.Errorf("nv_flag writes (-want +got):\n%q", diff)
	}
	if diff := cmp.Diff(before, fx.keys(t)); diff != "" {
		t.Errorf("the NV store changed (-before +after):\n%s", diff)
	}
	if n := bytes.Count([]byte(joinLines(fx.b.prints)), []byte("[NV] upg verify fail!")); n != 3 {
		t.Errorf("%d verify failures printed, want 3:\n%s", n, joinLines(fx.b.prints))
	}
}

// TestNVTaskResumesAfterCut cuts the power inside the merge: nv_flag stays
// STARTED and the next start-up completes the same attempt.
func TestNVTaskResumesAfterCut(t *testing.T) {
	fx := newNVFixture(t)
	fx.b.f.CutAt(fx.b.f.OpCount()+40, flash.Tear{Kind: flash.TearBits, Seed: 1})
	func() {
		defer func() { recover() }()
		Start(fx.b)
	}()
	if !fx.b.f.Off() {
		t.Fatal("the cut did not fire inside the NV task")
	}
	fx.b.f.PowerOn()
	fx.b.flags = nil
	a := fx.start(t)
	if a.NV.Outcome != NVUpgraded || a.NV.Status != upg.ImageStarted {
		t.Fatalf("resumed NV task: %+v", a.NV)
	}
	if diff := cmp.Diff([]string{"nv_flag=\x00\x00\x00"}, fx.b.flags); diff != "" {
		t.Errorf("nv_flag writes (-want +got):\n%q (no attempt consumed)", diff)
	}
	if k := fx.keys(t); k[0x7001] != "home-ssid" || k[nv.SyntheticVersionKey] != "nv-2.0.0" {
		t.Errorf("after the resumed merge: user key %q, version key %q", k[0x7001], k[nv.SyntheticVersionKey])
	}
}

func TestNVTaskNotNeeded(t *testing.T) {
	b := &testBoard{f: flash.New(), t: partition.Default(partition.LayoutCompress)}
	a, err := Start(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.NV.Outcome != NVNotNeeded || a.NV.Status != upg.ImageNotStarted || len(b.prints) != 0 {
		t.Errorf("blank device: %+v, prints %q", a.NV, b.prints)
	}
	if n := b.f.OpCount(); n != 0 {
		t.Errorf("%d flash ops on a start-up with nothing to do", n)
	}
}

func joinLines(s []string) string {
	var b bytes.Buffer
	for _, l := range s {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestNVTaskRunsOnInvalid: docs/sdk-mapping.md §4.7 — the NV task runs for every nv_flag
// status but FINISHED and NOT_STARTED, INVALID (a torn STARTED byte, here
// 0x7F) included; a success writes 00 over the torn byte and after it.
func TestNVTaskRunsOnInvalid(t *testing.T) {
	fx := newNVFixture(t)
	fota, _ := fx.b.t.Lookup(partition.FotaData)
	nvFlag := fota.End() - 0x1000 + 76
	// The fixture's flashboot wrote nv_flag 0F FF FF; rewrite the flag
	// page with 7F FF FF instead, as a torn STARTED program leaves it.
	page := make([]byte, 0x1000)
	fx.b.f.ReadAt(page, int64(fota.End()-0x1000))
	page[76] = 0x7F
	if err := fx.b.f.Erase(fota.End() - 0x1000); err != nil {
		t.Fatal(err)
	}
	if err := fx.b.f.Program(fota.End()-0x1000, page); err != nil {
		t.Fatal(err)
	}
	var b [3]byte
	fx.b.f.ReadAt(b[:], int64(nvFlag))
	if upg.RetryStatus(b) != upg.ImageInvalid {
		t.Fatalf("nv_flag % x is not INVALID", b)
	}
	fx.b.flags = nil
	a := fx.start(t)
	if a.NV.Status != upg.ImageInvalid || a.NV.Outcome != NVUpgraded {
		t.Fatalf("NV task on an INVALID nv_flag: status %v outcome %q, want it run and upgraded", a.NV.Status, a.NV.Outcome)
	}
	if diff := cmp.Diff([]string{"nv_flag=\x00\x00\x00"}, fx.b.flags); diff != "" {
		t.Errorf("nv_flag writes (-want +got):\n%q", diff)
	}
	if k := fx.keys(t); k[0x7001] != "home-ssid" || k[nv.SyntheticVersionKey] != "nv-2.0.0" {
		t.Errorf("after the merge: user key %q, version key %q", k[0x7001], k[nv.SyntheticVersionKey])
	}
}
