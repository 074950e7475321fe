package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/upg"
)

// packFile packs app+boot(+nv) into dir and returns the path and bytes.
func packFile(t *testing.T, in *pkgInputs, mode upg.SignMode, name string) (string, []byte) {
	t.Helper()
	b, err := upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(mode), Pkt: []string{"app", "nv"}, Ver: "3.1.4",
		App: readFile(t, in.app), Flashboot: readFile(t, in.boot), NV: readFile(t, in.nv), RootKey: in.rootKey, SubKey: in.subKey})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(in.dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// corrupt writes a copy of b with one byte flipped at off.
func corrupt(t *testing.T, dir string, b []byte, off int) string {
	t.Helper()
	c := bytes.Clone(b)
	c[off] ^= 0x01
	p := filepath.Join(dir, fmt.Sprintf("corrupt-%x-%d.fwpkg", sha256.Sum256(b), off))
	if err := os.WriteFile(p, c, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPkgVerify(t *testing.T) {
	in := newPkgInputs(t)
	shaPath, sha := packFile(t, in, upg.SignSHA256, "sha.fwpkg")
	ecPath, ec := packFile(t, in, upg.SignECDSA, "ecdsa.fwpkg")
	p, err := upg.ReadPackage(bytes.NewReader(sha), int64(len(sha)))
	if err != nil {
		t.Fatal(err)
	}
	data1 := int(p.Headers[1].ImageOffset) + 3

	stdout, stderr, code := runCLI(t, "pkg", "verify", shaPath)
	if code != 0 || !strings.HasPrefix(stdout, "OK "+shaPath) || !strings.Contains(stdout, `version "3.1.4"`) {
		t.Errorf("hash-only: exit %d: %s%s", code, stdout, stderr)
	}
	if stdout, _, code = runCLI(t, "pkg", "verify", "--root-key", in.root, ecPath); code != 0 || !strings.HasPrefix(stdout, "OK") {
		t.Errorf("ECDSA: exit %d: %s", code, stdout)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"data byte of image 1", []string{corrupt(t, in.dir, sha, data1)}, 1,
			[]string{"FAILED at step 7 (image), image 1", "VERIFY_IMAGE_FAILED", "ERRCODE_FAIL", "flashboot data"}},
		{"key area byte", []string{corrupt(t, in.dir, sha, 0x20)}, 1, []string{"step 2 (key area)", "VERIFY_HEAD_FAILED"}},
		{"image id", []string{corrupt(t, in.dir, sha, 0x100)}, 1, []string{"step 1 (image id)", "VERIFY_HEAD_FAILED", "offset 0x100"}},
		{"hash table", []string{corrupt(t, in.dir, sha, 0x210)}, 1, []string{"step 6 (hash table)", "VERIFY_HASH_TABLE_FAILED"}},
		{"info area of ECDSA", []string{"--root-key", in.root, corrupt(t, in.dir, ec, 0x150)}, 1, []string{"step 3 (info area)", "VERIFY_HEAD_FAILED"}},
		{"wrong root key", []string{"--root-key", in.sub, ecPath}, 1, []string{"step 2 (key area)", "under the root key"}},
		{"ECDSA without a root key", []string{ecPath}, 2, []string{"ECDSA-signed", "--root-key PEM is required"}},
		{"truncated", []string{writeTmp(t, in.dir, sha[:100])}, 2, []string{"offset 0", "package header"}},
		{"missing file", []string{filepath.Join(in.dir, "nope.fwpkg")}, 2, []string{"no such file"}},
		{"two files", []string{shaPath, ecPath}, 2, []string{"exactly one FILE"}},
		{"bad root key file", []string{"--root-key", in.app, ecPath}, 2, []string{"--root-key"}},
	} {
		stdout, stderr, code := runCLI(t, append([]string{"pkg", "verify"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d: %s%s", tc.name, code, tc.code, stdout, stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q: %s", tc.name, w, stderr)
			}
		}
		if strings.Contains(strings.TrimSpace(stderr), "\n") {
			t.Errorf("%s: error is not one line: %q", tc.name, stderr)
		}
	}
	if _, _, code := runCLI(t, "pkg", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
	if _, _, code := runCLI(t, "pkg"); code != 2 {
		t.Errorf("no subcommand: exit %d", code)
	}
}

func writeTmp(t *testing.T, dir string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, "tmp.fwpkg")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPkgInspect(t *testing.T) {
	in := newPkgInputs(t)
	shaPath, sha := packFile(t, in, upg.SignSHA256, "sha.fwpkg")
	ecPath, _ := packFile(t, in, upg.SignECDSA, "ecdsa.fwpkg")

	appLen := len(readFile(t, in.app))
	stdout, stderr, code := runCLI(t, "pkg", "inspect", shaPath)
	if code != 0 {
		t.Fatalf("inspect exit %d: %s", code, stderr)
	}
	for _, s := range []string{`version "3.1.4"`, "3 images", "hash-only", "key area (0x000)", "info area (0x100)",
		"0x2A13C867 SHA256 (RSA4096 format)", "image_hash_table_length    144", "image_num                  3",
		`"3.1.4", then 107 zero bytes`, "hash table (0x200, 144 bytes): hash ok", fmt.Sprintf("image 0: application (LZMA, %d -> ", appLen),
		"image 2: nv (raw, 1400 -> 1408 bytes", fmt.Sprintf("lzma header                props 0x5A (lc=0 lp=0 pb=2) dict 4096 size %d (ok)", appLen),
		"data hash check            ok", "all checks ok"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, stdout)
		}
	}

	stdout, _, code = runCLI(t, "pkg", "inspect", "--json", ecPath)
	if code != 0 {
		t.Fatalf("inspect --json exit %d", code)
	}
	var v pkgView
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, stdout)
	}
	if v.Version != "3.1.4" || len(v.Images) != 3 || v.Images[0].Name != "application" || v.Images[0].Storage != "LZMA" ||
		v.Images[0].LZMA == nil || v.Images[0].LZMA.Size != v.Images[0].NewImageLen || v.Images[0].Ratio <= 0 || v.Images[0].Ratio >= 1 ||
		v.Images[2].Storage != "raw" || v.KeyArea.SignatureLength != 64 || v.KeyArea.SignatureCheck != checkNotChecked ||
		v.InfoArea.SignatureCheck != checkOK || v.HashTable.HashCheck != checkOK || v.Failed != 0 ||
		v.KeyArea.FotaExternalPublicKey == strings.Repeat("0", 128) {
		t.Errorf("inspect --json: %+v", v)
	}
	stdout, _, _ = runCLI(t, "pkg", "inspect", "--json", "--root-key", in.root, ecPath)
	if err := json.Unmarshal([]byte(stdout), &v); err != nil || v.KeyArea.SignatureCheck != checkOK {
		t.Errorf("with --root-key: %v %q", err, v.KeyArea.SignatureCheck)
	}

	// A corrupted image: inspect still prints everything, flags it and exits 1.
	p, _ := upg.ReadPackage(bytes.NewReader(sha), int64(len(sha)))
	bad := corrupt(t, in.dir, sha, int(p.Headers[2].ImageOffset))
	stdout, stderr, code = runCLI(t, "pkg", "inspect", bad)
	if code != 1 || !strings.Contains(stdout, "data hash check            MISMATCH") || !strings.Contains(stderr, "1 check(s) failed") {
		t.Errorf("corrupted: exit %d: %s\n%s", code, stderr, stdout)
	}
	// Undecodable input: one line with the offset, exit 2.
	cut := writeTmp(t, in.dir, sha[:len(sha)-1])
	_, stderr, code = runCLI(t, "pkg", "inspect", cut)
	if code != 2 || !strings.Contains(stderr, "offset") || !strings.Contains(stderr, "runs past the end") {
		t.Errorf("truncated: exit %d: %s", code, stderr)
	}
}

// TestPkgSDKReference: the SDK packer's own output is accepted.
func TestPkgSDKReference(t *testing.T) {
	ref := testutil.Reference(t, "sdk-made/update.fwpkg")
	stdout, stderr, code := runCLI(t, "pkg", "verify", ref)
	if code != 0 || !strings.Contains(stdout, `2 images (application, flashboot), version "1.2.3"`) {
		t.Errorf("verify exit %d: %s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runCLI(t, "pkg", "inspect", ref)
	if code != 0 || !strings.Contains(stdout, "262912 -> 159040 bytes, ratio 0.605") || !strings.Contains(stdout, "all checks ok") {
		t.Errorf("inspect exit %d: %s\n%s", code, stderr, stdout)
	}
	// update_temp.fwpkg is unsigned: the device rejects it at step 2.
	tmp := testutil.Reference(t, "sdk-made/update_temp.fwpkg")
	_, stderr, code = runCLI(t, "pkg", "verify", tmp)
	if code != 1 || !strings.Contains(stderr, "step 2 (key area): VERIFY_HEAD_FAILED") {
		t.Errorf("update_temp: exit %d: %s", code, stderr)
	}
}
