// Command soci-index converts an image already in containerd's content store
// into a SOCI-enabled image (SOCI index manifest v2): the image manifest gets
// the SOCI index digest annotation, and an OCI index bundles that manifest with
// the SOCI index artifact, whose layers are the ztocs. Everything is written to
// containerd's content store under the destination name, so that
// `ctr image push DST` pushes the image, the SOCI index and its ztocs.
//
//	soci-index --address SOCK [--namespace NS] [--min-layer-size N] [--span-size N] SRC DST
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/awslabs/soci-snapshotter/soci"
	"github.com/awslabs/soci-snapshotter/soci/store"
	sociversion "github.com/awslabs/soci-snapshotter/version"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
)

// version is set at build time (-ldflags "-X main.version=vX.Y.Z") to the
// soci-snapshotter release this binary was built from.
var version = "unknown"

func main() {
	showVersion := flag.Bool("version", false, "print the soci-snapshotter release and exit")
	address := flag.String("address", "", "containerd gRPC socket (required)")
	namespace := flag.String("namespace", "default", "containerd namespace")
	minLayerSize := flag.Int64("min-layer-size", 0, "layers smaller than this many (compressed) bytes get no ztoc")
	spanSize := flag.Int64("span-size", 1<<22, "ztoc span size in bytes (uncompressed bytes between checkpoints)")
	platform := flag.String("platform", "", "platform to index (default: the image's own, or this host's for a multi-platform index)")
	root := flag.String("root", "", "directory for the SOCI artifacts DB (default: a temporary directory, removed at exit)")
	logLevel := flag.String("log-level", "warn", "trace, debug, info, warn or error")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: soci-index --address SOCK [flags] SRC_REF DST_REF")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *showVersion {
		fmt.Println("soci-index (hellobench build) soci-snapshotter", version)
		return
	}
	if *address == "" || flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	sociversion.Version = version
	lvl, err := logrus.ParseLevel(*logLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soci-index: log level:", err)
		os.Exit(2)
	}
	logrus.SetLevel(lvl)

	o := options{
		address: *address, namespace: *namespace, src: flag.Arg(0), dst: flag.Arg(1),
		minLayerSize: *minLayerSize, spanSize: *spanSize, platform: *platform, root: *root,
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soci-index:", err)
		os.Exit(1)
	}
}

type options struct {
	address, namespace, src, dst, platform, root string
	minLayerSize, spanSize                       int64
}

func run(o options) error {
	start := time.Now()
	ctx := namespaces.WithNamespace(log.WithLogger(context.Background(), log.L), o.namespace)

	root := o.root
	if root == "" {
		tmp, err := os.MkdirTemp("", "soci-index-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	} else if err := os.MkdirAll(root, 0o700); err != nil { // soci.NewDB needs the directory
		return err
	}

	client, err := containerd.New(o.address, containerd.WithDefaultNamespace(o.namespace))
	if err != nil {
		return fmt.Errorf("connecting to containerd at %s: %w", o.address, err)
	}
	defer client.Close()

	cs := client.ContentStore()
	is := client.ImageService()
	srcImg, err := is.Get(ctx, o.src)
	if err != nil {
		return fmt.Errorf("source image %q: %w", o.src, err)
	}

	// The SOCI artifacts (ztocs, index manifest, annotated manifest, OCI index)
	// go straight into containerd's content store, in the caller's namespace.
	blobStore, err := store.NewContentStore(
		store.WithType(store.ContainerdContentStoreType),
		store.WithContainerdAddress(o.address),
	)
	if err != nil {
		return err
	}
	artifactsDb, err := soci.NewDB(soci.ArtifactsDbPath(root))
	if err != nil {
		return fmt.Errorf("artifacts DB under %s: %w", root, err)
	}
	builder, err := soci.NewIndexBuilder(cs, blobStore,
		soci.WithMinLayerSize(o.minLayerSize),
		soci.WithSpanSize(o.spanSize),
		soci.WithArtifactsDb(artifactsDb),
		soci.WithBuildToolIdentifier("hellobench soci-index "+version),
	)
	if err != nil {
		return err
	}

	var convertOpts []soci.ConvertOption
	if o.platform != "" {
		p, err := platforms.Parse(o.platform)
		if err != nil {
			return fmt.Errorf("platform %q: %w", o.platform, err)
		}
		convertOpts = append(convertOpts, soci.ConvertWithPlatforms(p))
	}
	// The image record created below is the GC root; the lease of the batch
	// keeps the new content alive until then.
	convertOpts = append(convertOpts, soci.ConvertWithNoGarbageCollectionLabels())

	batchCtx, done, err := blobStore.BatchOpen(ctx)
	if err != nil {
		return err
	}
	defer done(ctx)

	desc, err := builder.Convert(batchCtx, srcImg, convertOpts...)
	if err != nil {
		if errors.Is(err, soci.ErrEmptyIndex) {
			return fmt.Errorf("%w (is --min-layer-size %d above every layer's size?)", err, o.minLayerSize)
		}
		return fmt.Errorf("converting %s: %w", o.src, err)
	}

	img := images.Image{Name: o.dst, Target: *desc}
	if existing, err := is.Get(ctx, o.dst); err == nil {
		existing.Target = *desc
		if _, err := is.Update(ctx, existing, "target"); err != nil {
			return fmt.Errorf("updating image %s: %w", o.dst, err)
		}
	} else if errors.Is(err, errdefs.ErrNotFound) {
		if _, err := is.Create(ctx, img); err != nil {
			return fmt.Errorf("creating image %s: %w", o.dst, err)
		}
	} else {
		return err
	}

	s, err := summarize(ctx, cs, *desc)
	if err != nil {
		return fmt.Errorf("reading back %s: %w", desc.Digest, err)
	}
	fmt.Printf("soci-index: %s digest=%s manifest=%s soci_index=%s layers=%d indexed=%d ztoc_bytes=%d span_size=%d min_layer_size=%d seconds=%.2f\n",
		o.dst, desc.Digest, s.manifest, s.sociIndex, s.layers, s.indexed, s.ztocBytes,
		o.spanSize, o.minLayerSize, time.Since(start).Seconds())
	return nil
}

type summary struct {
	manifest, sociIndex string
	layers, indexed     int
	ztocBytes           int64
}

// summarize reads the converted OCI index back: the annotated image manifest
// (its layer count) and the SOCI index artifact (its ztoc count).
func summarize(ctx context.Context, cs content.Store, desc ocispec.Descriptor) (summary, error) {
	var s summary
	var idx ocispec.Index
	if err := readJSON(ctx, cs, desc, &idx); err != nil {
		return s, err
	}
	for _, m := range idx.Manifests {
		var man ocispec.Manifest
		if err := readJSON(ctx, cs, m, &man); err != nil {
			return s, err
		}
		if m.ArtifactType == soci.SociIndexArtifactTypeV2 {
			s.sociIndex = m.Digest.String()
			for _, l := range man.Layers {
				if l.MediaType == soci.SociLayerMediaType {
					s.indexed++
					s.ztocBytes += l.Size
				}
			}
			continue
		}
		if _, ok := man.Annotations[soci.ImageAnnotationSociIndexDigest]; ok {
			s.manifest = m.Digest.String()
			s.layers = len(man.Layers)
		}
	}
	if s.sociIndex == "" || s.manifest == "" {
		return s, errors.New("converted index holds no SOCI index v2 or no annotated manifest")
	}
	return s, nil
}

func readJSON(ctx context.Context, cs content.Store, desc ocispec.Descriptor, v any) error {
	b, err := content.ReadBlob(ctx, cs, desc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
