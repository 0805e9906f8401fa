package spec

// EncodeFast lets the external tests compare the fast encoding of parsed
// sources with encoding/json.
var EncodeFast = encodeFast
