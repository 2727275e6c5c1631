package input_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/turbowapi/turbowapi/input"
)

// Reading a CSV input: good rows become objects, a bad row is reported with its line and the
// reader goes on.
func ExampleNewReader() {
	csv := "_type,network,comment,EA-Site\n" +
		"network,10.0.0.0/24,lab,East\n" +
		"network,10.0.1.5/24,bad,West\n" +
		"network,10.0.2.0/24,,\n"
	r, err := input.NewReader(strings.NewReader(csv), "nets.csv", input.FormatCSV)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := input.NewValidator()
	for {
		o, err := r.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = v.Check(&o)
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(o.Pos.Line, o.Type, o.Fields["network"], o.Fields["extattrs"])
	}
	// Output:
	// 2 network 10.0.0.0/24 map[Site:map[value:East]]
	// nets.csv:3: network: "10.0.1.5/24" has host bits set: the network is 10.0.1.0/24
	// 4 network 10.0.2.0/24 <nil>
}

// The founding workload: 1,024 /24 networks carved from 10.0.0.0/8.
func ExampleNewGenerator() {
	g, err := input.NewGenerator("network 10.0.0.0/8 /24 1024")
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	var last input.Object
	for {
		o, err := g.Next()
		if err == io.EOF {
			break
		}
		n++
		last = o
	}
	fmt.Println(n, last.Fields["network"], last.Fields["comment"])
	// Output:
	// 1024 10.3.255.0/24 test-network
}
