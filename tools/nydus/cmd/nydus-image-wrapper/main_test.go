package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A layer with a POSIX ACL on a directory and an ordinary xattr on a file: the ACL goes,
// everything else (names, modes, contents, other xattrs) stays as it was.
func TestFilterTarDropsOnlyACLXattrs(t *testing.T) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	must(t, tw.WriteHeader(&tar.Header{Name: "var/log/journal/", Typeflag: tar.TypeDir, Mode: 0o2755, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"SCHILY.xattr.system.posix_acl_access": "\x02\x00\x00\x00", "SCHILY.xattr.system.posix_acl_default": "\x02\x00\x00\x00"}}))
	must(t, tw.WriteHeader(&tar.Header{Name: "usr/bin/tool", Typeflag: tar.TypeReg, Mode: 0o755, Size: 5, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "cap"}}))
	_, err := tw.Write([]byte("hello"))
	must(t, err)
	must(t, tw.Close())
	src := filepath.Join(t.TempDir(), "layer.tar")
	must(t, os.WriteFile(src, in.Bytes(), 0o600))

	var out bytes.Buffer
	dropped, err := filterTar(src, &out)
	must(t, err)
	if dropped != 2 {
		t.Fatalf("dropped %d xattrs, want 2", dropped)
	}
	tr := tar.NewReader(&out)
	dir, err := tr.Next()
	must(t, err)
	if dir.Name != "var/log/journal/" || dir.Mode != 0o2755 || len(dir.PAXRecords) != 0 {
		t.Fatalf("directory came out as %q mode %o records %v", dir.Name, dir.Mode, dir.PAXRecords)
	}
	file, err := tr.Next()
	must(t, err)
	body, err := io.ReadAll(tr)
	must(t, err)
	if file.Name != "usr/bin/tool" || string(body) != "hello" || file.PAXRecords["SCHILY.xattr.security.capability"] != "cap" {
		t.Fatalf("file came out as %q %q %v", file.Name, body, file.PAXRecords)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("expected the end of the archive, got %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
