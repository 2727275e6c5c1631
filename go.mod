module github.com/turbowapi/turbowapi

go 1.26
