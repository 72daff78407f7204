package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/nwmo/nwmo/server/access"
)

// hashPassword prints the bcrypt hash of a password for an access file's
// password-hash. On a terminal it asks twice, without echo; otherwise it
// reads the first line of stdin, so that scripts can pipe it in.
func hashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "nwmo hash-password: takes no argument (the password is read from stdin), got %q\n", args)
		return 2
	}
	password, err := readPassword(stdin, stderr)
	if err == nil {
		var h string
		if h, err = access.HashPassword(password); err == nil {
			fmt.Fprintln(stdout, h)
			return 0
		}
	}
	fmt.Fprintln(stderr, "nwmo hash-password:", err)
	return 1
}

func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprint(stderr, "\nAgain: ")
		if err != nil {
			return "", err
		}
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
