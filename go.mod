module github.com/turbowapi/turbowapi

go 1.26

require (
	github.com/google/btree v1.1.3
	github.com/infobloxopen/infoblox-go-client/v2 v2.10.0
	go.etcd.io/bbolt v1.5.0
	golang.org/x/term v0.43.0
)

require (
	github.com/sirupsen/logrus v1.9.3 // indirect
	golang.org/x/net v0.28.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.17.0 // indirect
)
