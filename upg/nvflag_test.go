package upg

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNVFlagAttempts walks nv_flag through the app's three attempts
// (docs/sdk-mapping.md §4.7): FF FF FF (not started) → flashboot's 0F FF FF → a failed
// attempt 00 FF FF → 00 0F FF → 00 00 FF → 00 00 0F → given up 00 00 00,
// which reads FINISHED; and a success from a retry: 00 0F FF → 00 00 00.
func TestNVFlagAttempts(t *testing.T) {
	type step struct {
		op   string
		want [3]byte
		st   ImageStatus
		last bool
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"three failures", []step{
			{"", [3]byte{0xFF, 0xFF, 0xFF}, ImageNotStarted, false},
			{"start", [3]byte{0x0F, 0xFF, 0xFF}, ImageStarted, false},
			{"start", [3]byte{0x0F, 0xFF, 0xFF}, ImageStarted, false}, // a resumed attempt
			{"fail", [3]byte{0x00, 0xFF, 0xFF}, ImageRetry, false},
			{"start", [3]byte{0x00, 0x0F, 0xFF}, ImageStarted, false},
			{"fail", [3]byte{0x00, 0x00, 0xFF}, ImageRetry, false},
			{"start", [3]byte{0x00, 0x00, 0x0F}, ImageStarted, false},
			{"fail", [3]byte{0x00, 0x00, 0x00}, ImageFinished, true},
			{"fail", [3]byte{0x00, 0x00, 0x00}, ImageFinished, false}, // nothing left to consume
		}},
		{"success on the second attempt", []step{
			{"start", [3]byte{0x0F, 0xFF, 0xFF}, ImageStarted, false},
			{"fail", [3]byte{0x00, 0xFF, 0xFF}, ImageRetry, false},
			{"start", [3]byte{0x00, 0x0F, 0xFF}, ImageStarted, false},
			{"finish", [3]byte{0x00, 0x00, 0x00}, ImageFinished, false},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newStorage(t, Options{})
			if err := s.u.Init(); err != nil {
				t.Fatal(err)
			}
			s.store(t)
			var writes []string
			s.u.opt.Hooks.FlagWrite = func(field string, v []byte) { writes = append(writes, field) }
			for i, st := range c.steps {
				var last bool
				var err error
				switch st.op {
				case "start":
					err = s.u.MarkNVStarted()
				case "fail":
					last, err = s.u.FailNV()
				case "finish":
					err = s.u.FinishNV()
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", i, st.op, err)
				}
				f, err := s.u.ReadFlag()
				if err != nil {
					t.Fatal(err)
				}
				status, err := s.u.NVStatus()
				if err != nil {
					t.Fatal(err)
				}
				if f.NVFlag != st.want || status != st.st || last != st.last {
					t.Errorf("step %d %s: nv_flag % x %v last=%v, want % x %v last=%v", i, st.op, f.NVFlag, status, last, st.want, st.st, st.last)
				}
			}
			for _, w := range writes {
				if !strings.HasPrefix(w, "nv_flag") { // nv_flag, nv_flag[1], nv_flag[2]: the byte written
					t.Errorf("a write to %s", w)
				}
			}
		})
	}
}

// TestNVFlagNoPartition: without a fota partition every helper fails.
func TestNVFlagNoPartition(t *testing.T) {
	s := newStorage(t, Options{})
	s.u.table = s.u.table.Clone()
	s.u.table.Entries = nil
	_, err1 := s.u.NVStatus()
	err2 := s.u.MarkNVStarted()
	err3 := s.u.FinishNV()
	_, err4 := s.u.FailNV()
	got := []error{err1, err2, err3, err4}
	want := []error{ErrcodePartitionConfigNotFound, ErrcodePartitionConfigNotFound, ErrcodePartitionConfigNotFound, ErrcodePartitionConfigNotFound}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
