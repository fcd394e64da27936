// The "container runtime" of test-kubelet (test tooling only): what exec, attach and
// port-forward do once k8s.io/cri-streaming has set up the streams. A container is this machine:
// exec runs a local process (under a pseudo-terminal with tty) in a per-pod directory, attach
// watches a per-container "main process" (a goroutine that prints a numbered line every 200 ms
// and echoes its input), and a forwarded port is 127.0.0.1:<port>.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

const (
	// attachInterval is how often a main process prints its numbered line.
	attachInterval = 200 * time.Millisecond
	// ioGrace is how long exec waits for output after its process exited, for output still
	// held by a background child.
	ioGrace = 2 * time.Second
	// firstSizeWait is how long exec with tty waits for the client's terminal size (sent as the
	// streams open) before it starts the process, so that the process starts with that size.
	firstSizeWait = time.Second
)

// runtime holds the pods' directories, the processes exec started and the main processes.
type runtime struct {
	root    string
	ownRoot bool // made by this program: removed when it exits
	mu      sync.Mutex
	procs   map[*os.Process]struct{}
	mains   map[string]*mainProcess
}

func newRuntime(root string, ownRoot bool) *runtime {
	return &runtime{
		root:    root,
		ownRoot: ownRoot,
		procs:   map[*os.Process]struct{}{},
		mains:   map[string]*mainProcess{},
	}
}

// podDir is a pod's working directory, root/namespace/pod (made on first use): exec runs there.
func (rt *runtime) podDir(namespace, pod string) (string, error) {
	for _, s := range []string{namespace, pod} {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("test-kubelet: bad pod %q/%q", namespace, pod)
		}
	}
	dir := filepath.Join(rt.root, namespace, pod)
	return dir, os.MkdirAll(dir, 0o755)
}

// start starts c in its own process group (killed by killAll and with this program); with tty,
// under a new pseudo-terminal of the given size (nil: none set), whose master it returns.
func (rt *runtime) start(c *exec.Cmd, tty bool, size *pty.Winsize) (*os.File, error) {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Pdeathsig = syscall.SIGKILL
	var ptmx *os.File
	var err error
	if tty {
		ptmx, err = pty.StartWithSize(c, size) // a new session: its own process group
	} else {
		c.SysProcAttr.Setpgid = true
		err = c.Start()
	}
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.procs[c.Process] = struct{}{}
	rt.mu.Unlock()
	return ptmx, nil
}

func (rt *runtime) forget(p *os.Process) {
	rt.mu.Lock()
	delete(rt.procs, p)
	rt.mu.Unlock()
}

// killAll kills the process group of every process exec started that still runs, and removes
// the pods' directories when this program made their root.
func (rt *runtime) killAll() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for p := range rt.procs {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
	if rt.ownRoot {
		_ = os.RemoveAll(rt.root)
	}
}

// exec runs cmd as a local process in the pod's directory with the streams wired to it: under a
// pseudo-terminal that follows the resize events with tty, else with pipes. A non-zero exit is
// returned as a utilexec.ExitError, which ServeExec reports as the exit code.
func (rt *runtime) exec(_ context.Context, namespace, pod, container string, cmd []string,
	in io.Reader, out, errOut io.WriteCloser, tty bool,
	resize <-chan remotecommand.TerminalSize) error {
	dir, err := rt.podDir(namespace, pod)
	if err != nil {
		return err
	}
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Dir = dir
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	c.Env = []string{"PATH=" + path, "HOME=" + dir, "HOSTNAME=" + pod}
	log.Printf("exec in %s/%s/%s (tty %v): %q", namespace, pod, container, tty, cmd)
	if tty {
		c.Env = append(c.Env, "TERM=xterm")
		return rt.execTTY(c, in, out, resize)
	}
	go drain(resize)
	if in != nil {
		stdin, err := c.StdinPipe()
		if err != nil {
			return err
		}
		go func() {
			_, _ = io.Copy(stdin, in)
			_ = stdin.Close()
		}()
	}
	if out != nil {
		c.Stdout = out
	}
	if errOut != nil {
		c.Stderr = errOut
	}
	c.WaitDelay = ioGrace
	if _, err := rt.start(c, false, nil); err != nil {
		return err
	}
	defer rt.forget(c.Process)
	return exitError(c.Wait())
}

func (rt *runtime) execTTY(c *exec.Cmd, in io.Reader, out io.Writer,
	resize <-chan remotecommand.TerminalSize) error {
	var size *pty.Winsize
	if resize != nil {
		select {
		case s, ok := <-resize:
			if ok {
				size = &pty.Winsize{Rows: s.Height, Cols: s.Width}
			}
		case <-time.After(firstSizeWait):
		}
	}
	ptmx, err := rt.start(c, true, size)
	if err != nil {
		go drain(resize)
		return err
	}
	defer rt.forget(c.Process)
	defer func() { _ = ptmx.Close() }()
	go func() {
		if resize == nil {
			return
		}
		for size := range resize {
			if err := pty.Setsize(ptmx, &pty.Winsize{Rows: size.Height, Cols: size.Width}); err != nil {
				log.Printf("resizing the terminal: %v", err)
			}
		}
	}()
	if in != nil {
		go func() { _, _ = io.Copy(ptmx, in) }()
	}
	if out == nil {
		out = io.Discard
	}
	copied := make(chan struct{})
	go func() {
		// Ends with EIO once the process and every holder of the terminal are gone.
		_, _ = io.Copy(out, ptmx)
		close(copied)
	}()
	err = c.Wait()
	select {
	case <-copied:
	case <-time.After(ioGrace):
	}
	return exitError(err)
}

// exitError turns a process's non-zero exit (or death by a signal: 128 + its number, as shells
// report it) into the utilexec.ExitError that ServeExec reports as an exit code.
func exitError(err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	code := ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return utilexec.CodeExitError{Err: err, Code: code}
}

func drain(resize <-chan remotecommand.TerminalSize) {
	if resize == nil {
		return
	}
	for range resize {
	}
}

// mainProcess is a container's long-running main process, as attach sees it: it prints
// "attach line N from pod/container" every attachInterval and "echo: LINE" for each line that
// any attached client types; every attached client sees all of it from when it attached.
type mainProcess struct {
	name  string
	input chan string
	mu    sync.Mutex
	subs  map[chan []byte]struct{}
}

// mainOf returns the container's main process, started on first use and kept while this program
// runs.
func (rt *runtime) mainOf(namespace, pod, container string) *mainProcess {
	key := namespace + "/" + pod + "/" + container
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if m := rt.mains[key]; m != nil {
		return m
	}
	m := &mainProcess{
		name:  pod + "/" + container,
		input: make(chan string, 64),
		subs:  map[chan []byte]struct{}{},
	}
	rt.mains[key] = m
	go m.run()
	return m
}

func (m *mainProcess) run() {
	ticker := time.NewTicker(attachInterval)
	defer ticker.Stop()
	for n := 1; ; {
		select {
		case <-ticker.C:
			m.publish(fmt.Appendf(nil, "attach line %d from %s\n", n, m.name))
			n++
		case line := <-m.input:
			m.publish([]byte("echo: " + line + "\n"))
		}
	}
}

func (m *mainProcess) publish(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ch := range m.subs {
		select {
		case ch <- b:
		default: // a watcher too slow to keep up loses the line, as with a full pipe
		}
	}
}

func (m *mainProcess) subscribe() chan []byte {
	ch := make(chan []byte, 256)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	return ch
}

func (m *mainProcess) unsubscribe(ch chan []byte) {
	m.mu.Lock()
	delete(m.subs, ch)
	m.mu.Unlock()
}

// readLines sends each line read from in (ended by \n, \r or \r\n: a terminal sends \r) to
// lines, and closes done at the end of in.
func readLines(in io.Reader, lines chan<- string, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 32*1024)
	var line []byte
	lastCR := false
	for {
		n, err := in.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case b == '\n' && lastCR:
			case b == '\n' || b == '\r':
				lines <- string(line)
				line = line[:0]
			default:
				line = append(line, b)
			}
			lastCR = b == '\r'
		}
		if err != nil {
			return
		}
	}
}

// attach copies the container's main process's output to out, and the lines read from in to it,
// until out fails (the client went away) or, without out, in ends.
func (rt *runtime) attach(ctx context.Context, namespace, pod, container string, in io.Reader,
	out io.Writer, _ bool, resize <-chan remotecommand.TerminalSize) error {
	if _, err := rt.podDir(namespace, pod); err != nil {
		return err
	}
	m := rt.mainOf(namespace, pod, container)
	ch := m.subscribe()
	defer m.unsubscribe(ch)
	go drain(resize)
	inDone := make(chan struct{})
	if in != nil {
		go readLines(in, m.input, inDone)
	}
	log.Printf("attach to %s/%s/%s", namespace, pod, container)
	defer log.Printf("attach to %s/%s/%s ended", namespace, pod, container)
	if out == nil {
		if in == nil {
			return nil
		}
		select {
		case <-inDone:
		case <-ctx.Done():
		}
		return nil
	}
	for {
		select {
		case b := <-ch:
			if _, err := out.Write(b); err != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// portForward copies between stream and a new connection to 127.0.0.1:port until the
// connection's far end closes it (after the stream's end was passed on as a half-close).
func (rt *runtime) portForward(_ context.Context, port int32, stream io.ReadWriteCloser) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("test-kubelet: connecting to %s: %w", addr, err)
	}
	defer func() { _ = conn.Close() }()
	go func() {
		_, _ = io.Copy(conn, stream)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, err = io.Copy(stream, conn)
	return err
}
