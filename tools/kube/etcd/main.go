// Command etcd runs the etcd server (etcdmain), built from the Go module proxy for tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
