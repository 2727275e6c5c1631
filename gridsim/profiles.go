package gridsim

// The built-in profiles. docs/profiles.md explains each figure; keep the two in step.

// Names of the built-in profiles.
const (
	ProfileInstant  = "instant"
	ProfileArticle  = "article"
	ProfileBusy     = "busy"
	ProfileLarge    = "large"
	ProfileSerial   = "serial"
	ProfileOverload = "overload"
)

// DefaultProfile is the profile of a grid built without WithProfile: no cost at all.
const DefaultProfile = ProfileInstant

func builtinProfiles() []Profile {
	return []Profile{
		{
			Name:        ProfileInstant,
			Description: "no cost: every request is served as fast as the machine allows",
		},
		{
			Name: ProfileArticle,
			Description: "the Grid Master of the founding article (TE-v1425, NIOS 8.5.2): one-object " +
				"POSTs with the session cookie over kept-alive connections take 33.6, 23.6, 21.6, 19.4, " +
				"23.9 and 55.5 s for 1,024 networks at 1, 2, 4, 8, 16 and 32 in flight",
			RequestMS:    20.4,
			ObjectMS:     12,
			ReadMS:       0.2,
			AuthMS:       60,
			ConnectMS:    15,
			Sigma:        0.445,
			Kappa:        0.0115,
			CliffAt:      12,
			Cliff:        0.062,
			SerialWrites: false,
			Jitter:       0.1,
			Assumptions: []string{
				"article profile: the split of the 32.4 ms of a one-object create into 20.4 ms per request " +
					"and 12 ms per object written is assumed (the article published no per-object figure); " +
					"so one request call of 1,024 creates is modelled at about 12.3 s, a figure the article did not publish",
				"article profile: a request authenticating with Basic credentials instead of the cookie costs " +
					"60 ms more (assumed; the article logged in once and used the cookie)",
				"article profile: the first request on a new connection costs 15 ms more for the TLS handshake " +
					"(assumed; the article ran with keep-alive and published no figure without it)",
				"article profile: reading costs 0.2 ms per object returned (assumed; the article only wrote)",
				"article profile: service times are spread ±10% at random (assumed; the article gives three runs per setting, not per-request times)",
				"article profile: sigma, kappa and the cliff come from a least-squares fit to the article's six medians, " +
					"not from a measurement of the grid's internals",
			},
		},
		{
			Name: ProfileBusy,
			Description: "a busy production Grid Master also serving DHCP, DNS and other API users: " +
				"throughput peaks at 3 requests in flight, falls past it and steeply past 6; batches are capped at 500 items",
			RequestMS: 30,
			ObjectMS:  15,
			ReadMS:    0.3,
			AuthMS:    80,
			ConnectMS: 20,
			Sigma:     0.25,
			Kappa:     0.1,
			CliffAt:   6,
			Cliff:     0.1,
			Jitter:    0.2,
			MaxBatch:  500,
			Assumptions: []string{
				"busy profile: invented to put the knee at 2–3 requests in flight, as the article warns a production grid may; not measured",
			},
		},
		{
			Name: ProfileLarge,
			Description: "a large appliance with many cores: throughput keeps rising up to about 25 requests " +
				"in flight and falls away past 40",
			RequestMS: 12,
			ObjectMS:  6,
			ReadMS:    0.1,
			AuthMS:    40,
			ConnectMS: 8,
			Sigma:     0.02,
			Kappa:     0.0015,
			CliffAt:   40,
			Cliff:     0.02,
			Jitter:    0.1,
			Assumptions: []string{
				"large profile: invented to put the knee above 20 requests in flight; not measured",
			},
		},
		{
			Name: ProfileSerial,
			Description: "a grid whose database takes one writer at a time: 10 ms per object written under " +
				"one lock caps writes at 100 objects/s whatever the concurrency or batch size",
			RequestMS:    20,
			ObjectMS:     10,
			ReadMS:       0.2,
			AuthMS:       60,
			ConnectMS:    15,
			Sigma:        0.05,
			Kappa:        0.0005,
			SerialWrites: true,
			Jitter:       0.1,
			Assumptions: []string{
				"serial profile: invented to model a single-writer database; not measured",
			},
		},
		{
			Name: ProfileOverload,
			Description: "a grid that scales well but answers 503 (Retry-After: 1) to any request arriving " +
				"when 12 are already in service",
			RequestMS:  20,
			ObjectMS:   10,
			ReadMS:     0.2,
			AuthMS:     60,
			ConnectMS:  15,
			Sigma:      0.05,
			Kappa:      0.001,
			Jitter:     0.1,
			OverloadAt: 12,
			Assumptions: []string{
				"overload profile: invented to model a grid that sheds load with 503 past 12 requests in service; not measured",
			},
		},
	}
}
