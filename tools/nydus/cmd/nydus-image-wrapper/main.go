// nydus-image-wrapper runs the real nydus-image, first removing from a tar source the two
// POSIX ACL xattrs that nydus-image 2.2.0 (the newest on crates.io) cannot store.
//
// nydus-rafs 0.2.2, which that release builds with, accepts an xattr only when its name is
// longer than one of the allowed prefixes, and two of those prefixes are whole names:
// "system.posix_acl_access" and "system.posix_acl_default". A layer with a POSIX ACL (Debian's
// systemd sets one on /var/log/journal) fails with "invalid xattr key". nydus-rafs 0.4 fixed
// the comparison; until a nydus-image built on it is published, the wrapper drops those two
// xattrs (and says how many on stderr), so such images convert. Nothing else is changed.
//
// The converter calls `nydus-image create ... --type tar-rafs SOURCE` with SOURCE a path it
// writes the layer's tar to; the wrapper streams a filtered copy through a pipe that the real
// nydus-image opens as /dev/fd/3. Every other call passes through unchanged. The real
// nydus-image is $NYDUS_IMAGE_REAL, or `nydus-image` next to this wrapper.
package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

var aclXattrs = []string{"system.posix_acl_access", "system.posix_acl_default"}

func main() {
	real, err := realBuilder()
	if err != nil {
		fatal(err)
	}
	args := os.Args[1:]
	cmd := exec.Command(real)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr

	var filtered chan result
	if len(args) > 1 && args[0] == "create" && flagValue(args, "--type") == "tar-rafs" {
		src := args[len(args)-1]
		r, w, err := os.Pipe()
		if err != nil {
			fatal(err)
		}
		args = append(append([]string{}, args[:len(args)-1]...), "/dev/fd/3")
		cmd.ExtraFiles = []*os.File{r}
		filtered = make(chan result, 1)
		go func() {
			n, err := filterTar(src, w)
			w.Close()
			filtered <- result{n, err}
		}()
	}
	cmd.Args = append([]string{real}, args...)
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	// Only the child reads the pipe: if it exits early, the filter's writes fail instead of blocking.
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	runErr := cmd.Wait()
	if filtered != nil {
		res := <-filtered
		if res.err != nil && runErr == nil {
			fatal(fmt.Errorf("filtering the tar source: %w", res.err))
		}
		if res.dropped > 0 {
			fmt.Fprintf(os.Stderr, "nydus-image-wrapper: dropped %d POSIX ACL xattr(s) nydus-image 2.2 cannot store\n", res.dropped)
		}
	}
	var exit *exec.ExitError
	if errors.As(runErr, &exit) {
		os.Exit(exit.ExitCode())
	}
	if runErr != nil {
		fatal(runErr)
	}
}

type result struct {
	dropped int
	err     error
}

// filterTar copies the tar at src to w without the ACL xattrs; it returns how many it dropped.
func filterTar(src string, w io.Writer) (int, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	tw := tar.NewWriter(w)
	dropped := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return dropped, err
		}
		for _, name := range aclXattrs {
			key := "SCHILY.xattr." + name
			if _, ok := hdr.PAXRecords[key]; ok {
				delete(hdr.PAXRecords, key)
				dropped++
			}
			delete(hdr.Xattrs, name) //nolint:staticcheck // the reader fills both maps
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return dropped, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return dropped, err
		}
	}
	return dropped, tw.Close()
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if len(a) > len(name)+1 && a[:len(name)+1] == name+"=" {
			return a[len(name)+1:]
		}
	}
	return ""
}

func realBuilder() (string, error) {
	if p := os.Getenv("NYDUS_IMAGE_REAL"); p != "" {
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if s, err := filepath.EvalSymlinks(self); err == nil {
		self = s
	}
	p := filepath.Join(filepath.Dir(self), "nydus-image")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the real nydus-image is not at %s (set NYDUS_IMAGE_REAL)", p)
	}
	return p, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "nydus-image-wrapper:", err)
	os.Exit(1)
}
