package embedded

// Helpers of the internal tests that the external ones (package embedded_test) use too.
var (
	// Lookup walks a decoded object by dotted path (get).
	Lookup = get
	// ShowJSON prints a value as JSON (asJSON).
	ShowJSON = asJSON
)
