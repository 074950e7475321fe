// Package htmlreport draws what ws63emu does as self-contained HTML pages:
// the flash map (the 4 MiB to scale by partition, every sector coloured by
// what the run did to it, before and after), the upgrade timeline (boots
// and phases on the simulated-time axis, the flag area as a strip of bytes
// that changes over time, the power cuts), the sweep map (every cut point
// of a sweep, one row per tear model, coloured and labelled by verdict) and
// the scheme comparison as charts. It sits above package scenarios (DESIGN
// §2): it runs scripts through scenarios.Run and reads sweep reports, and
// package lab serves the same pages live.
//
// # Model
//
// A page is a Page value encoded as JSON inside one HTML file, next to
// the inline CSS and script that draw it (assets/): no network, no
// external file, it opens from disk. The same script draws the lab's
// pages from the same JSON. Encoding is deterministic (struct field order,
// no maps, no wall clock): the same run gives the same bytes.
//
// Record runs a script with scenarios.Options.Observe and a flash hook:
// it keeps every flash operation as runs (consecutive operations of one
// kind on one sector, with their simulated start and end times), the flag
// area (fota end − 0x1000, upg.FlagAreaLen bytes) as it stood after every
// operation that touched it, read from the flash rather than from what
// was asked (a torn write shows as torn), and the flash before the first
// power-on ("before") and at the end ("after"). Reading costs no
// simulated time: the recorded run's trace, verdict and flash are those of
// a plain run.
//
// CutScript turns a cut at an absolute flash operation into a plain
// script: the script up to the command the operation belongs to, a
// `cut op=K` line before it, and what follows a cut (the lab: a power-on;
// a sweep point: the commands after sweep-end, as Sweep runs them). The
// sweep page's failing points and the lab's cuts are recorded runs of
// such scripts, so each can be re-run with ws63emu run.
//
// # Limitations
//
// The timeline's axis is simulated time: a boot (a few milliseconds) next
// to flashboot's decompression (tens of seconds) is a thin band; the
// cursor and the operation stepper reach every operation. The sweep map
// draws one pixel column per group of cut points; a column shows its
// worst verdict and a tick when a point in it fails, and clicking it
// lists its points. A sweep page embeds the timelines of a few failing
// points (SweepOptions.Timelines); the others show their token and
// replay command.
package htmlreport
