// Build-time helper: generates schema.json and bridge-metadata.json for the Docker provider.
package main

import (
	"os"

	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"homelab.invalid/engine/docker/info"
)

func main() {
	version := os.Getenv("PROVIDER_VERSION")
	if version == "" {
		version = "0.0.0"
	}
	pftfgen.MainWithMuxer("docker", info.Provider(version, nil))
}
