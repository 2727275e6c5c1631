// Package wapi is a client for the Infoblox NIOS REST API (WAPI).
package wapi
