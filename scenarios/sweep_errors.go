package scenarios

import "errors"

// Sweep sentinels, grouped by what fails. Each comes wrapped with the
// details (file, line, token, offset); test with errors.Is.
var (
	// ErrSweepOptions is returned when SweepOptions or a tear model list
	// is not valid: a negative stride or job count, a shard outside
	// 0 ≤ I < N, an unknown or repeated tear model.
	ErrSweepOptions = errors.New("scenarios: bad sweep options")
	// ErrNoSweep is returned when a script has no sweep-begin … sweep-end
	// block, or its block issues no flash operation: nothing to sweep.
	ErrNoSweep = errors.New("scenarios: nothing to sweep")
	// ErrSweepBlock is returned (inside a *CommandError when a line is to
	// blame) when the sweep block cannot be swept: it holds cut or burn,
	// or the reference run fails or loses power in it, or the run up to
	// sweep-begin fails.
	ErrSweepBlock = errors.New("scenarios: cannot sweep this block")
	// ErrToken is returned when a reproduction token does not parse.
	ErrToken = errors.New("scenarios: bad reproduction token")
	// ErrNotCutPoint is returned (inside a *CommandError) by Replay when
	// the token's flash operation is not one of the sweep block's.
	ErrNotCutPoint = errors.New("scenarios: not a cut point of the sweep block")
	// ErrSweepReport is returned when a sweep report (JSON) is too long,
	// does not parse, or is inconsistent (shards, point order).
	ErrSweepReport = errors.New("scenarios: bad sweep report")
	// ErrMerge is returned when sweep reports cannot be merged: none,
	// another scenario or settings, a shard given twice.
	ErrMerge = errors.New("scenarios: cannot merge sweep reports")
)
