package emulator

// InspectUnhashed is Inspect of a flash image in memory without the
// whole-flash SHA-256, for FuzzInspect.
func InspectUnhashed(buf []byte) (*Inspection, error) { return inspectBytes(buf, false) }
