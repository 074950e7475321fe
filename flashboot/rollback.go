package flashboot

import (
	"math/bits"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/image"
)

// Anti-rollback burning (docs/sdk-mapping.md §6.2, the guide's 防回滚号): a model.
//
// Boot refuses an image whose popcount(version_ext & mask) is below the
// popcount of its efuse word (checked with secure boot on, image.Verify).
// The SDK's open code never burns those words (docs/sdk-mapping.md §1.6 step 8, §6.2), so
// the model is off by default (a Board without Models, or whose
// AntiRollbackBurn is false, burns nothing); turned on, flashboot burns the
// app's word and ssb flashboot's, forward only, after a successful
// verification of a newer version:
//
//   - flashboot, once the app verified and before it jumps, burns the
//     app's code-info popcount into efuse app-version (32 bits) as a run of
//     ones (1, 3, 7, …) when it exceeds the efuse popcount;
//   - ssb (package emulator) does the same for the flashboot copy it
//     boots, into efuse flashboot-version (8 bits, so at most 8).
//
// The key area's version words are not burned: the SDK's sign configs set
// their mask to 0. With burning off an older version still boots after a
// newer one ran, which the emulator's verdict calls rollback.

// RunOfOnes is the anti-rollback word with n bits set from bit 0, as the
// guide's 0 → 1 → 3 → 7 → 0xF sequence (n ≥ 32 gives 0xFFFFFFFF).
func RunOfOnes(n int) uint32 {
	if n >= 32 {
		return 0xFFFFFFFF
	}
	return 1<<uint(n) - 1
}

// burnAppVersion burns the verified app's anti-rollback version into
// efuse (see above). app is the image as verified (header and code).
func burnAppVersion(b Board, app []byte) {
	if m, ok := b.(Models); !ok || !m.AntiRollbackBurn() {
		return
	}
	if len(app) < image.HeaderLen {
		return
	}
	var ci image.CodeInfo
	if ci.UnmarshalBinary(app[image.KeyAreaLen:image.HeaderLen]) != nil {
		return
	}
	ef := b.Efuse()
	cur, err := ef.ReadU32(efuse.AppVersion)
	if err != nil {
		return
	}
	n := bits.OnesCount32(ci.VersionExt & ci.MaskVersionExt)
	if n <= bits.OnesCount32(cur) {
		return
	}
	v := RunOfOnes(n) | cur
	if err := ef.BurnU32(efuse.AppVersion, v); err != nil {
		event(b, "anti-rollback model: burning efuse app-version 0x%x failed: %v", v, err)
		return
	}
	event(b, "anti-rollback model: flashboot burned efuse app-version 0x%x -> 0x%x (the app's version_ext 0x%x)", cur, v, ci.VersionExt)
}
