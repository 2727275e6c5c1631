package bench

import "strconv"

// The founding article's published measurements: part 4 of "Turbocharge your Infoblox RESTful
// API calls" (ddiguru, 2021), the only figures the series published
// (../shared/reference/seed-series.md §5). Times in seconds to insert 1,024 /24 networks,
// three runs per setting.

// ArticleObjects is the size of the article's workload: 1,024 networks.
const ArticleObjects = 1024

// Published is a row of the article's part-4 table.
type Published struct {
	// Setting names the row as the article does ("wapi-network.py", "semaphore 8").
	Setting string `json:"setting"`
	// Runs are the three published times, in seconds.
	Runs []float64 `json:"runs"`
	// Median is the median of Runs.
	Median float64 `json:"median"`
}

// articleRuns maps requests in flight to the article's runs: 1 is the sequential script
// (wapi-network.py), the others the async script (wapi-async.py) with that semaphore.
var articleRuns = map[int][]float64{
	1:  {33.85, 33.64, 33.33},
	2:  {23.56, 23.40, 23.64},
	4:  {23.99, 19.99, 21.56},
	8:  {19.26, 19.39, 19.50},
	16: {27.81, 23.13, 23.87},
	32: {55.31, 55.50, 55.80},
}

// ArticleImprovement is the article's last row: % improvement of semaphore 8 over sequential,
// run by run, as printed (the third computes to 41.49).
var ArticleImprovement = []float64{43.10, 42.36, 41.50}

// ArticleInFlight lists the in-flight levels the article measured, in order.
var ArticleInFlight = []int{1, 2, 4, 8, 16, 32}

// ArticleRow returns the article's row for a number of requests in flight (1: the sequential
// script), and false when the article did not measure it.
func ArticleRow(inFlight int) (Published, bool) {
	runs, ok := articleRuns[inFlight]
	if !ok {
		return Published{}, false
	}
	setting := "wapi-network.py (sequential)"
	if inFlight > 1 {
		setting = "wapi-async.py, semaphore " + strconv.Itoa(inFlight)
	}
	return Published{Setting: setting, Runs: append([]float64(nil), runs...), Median: Median(runs)}, true
}
