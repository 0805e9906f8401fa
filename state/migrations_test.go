package state

import (
	"testing"
	"testing/fstest"
)

// TestMigrationsAreReadInNameOrder: migration files apply in name order,
// whatever order the directory lists them in, and only *.sql files count.
func TestMigrationsAreReadInNameOrder(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql":   {Data: []byte("two")},
		"m/0010_c.sql":   {Data: []byte("ten")},
		"m/0001_a.sql":   {Data: []byte("one")},
		"m/README.md":    {Data: []byte("not a migration")},
		"other/0003.sql": {Data: []byte("elsewhere")},
	}
	got := Migrations(fsys, "m")
	want := []string{"one", "two", "ten"}
	if len(got) != len(want) {
		t.Fatalf("Migrations = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Migrations = %q, want %q", got, want)
		}
	}
}
