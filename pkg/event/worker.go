package event

// Worker event kinds: facts about a worker, not about an execution. They
// are published under the job token WorkerToken (no job can have that name)
// with no execution, so execution lists and job histories never include
// them; `exec watch` and the events stream show them.
const (
	// StoreUnavailable: a worker cannot use its object store (scripts or
	// logs); Worker names it, Error says why, Reason names the store. It is
	// published once per failure, not once per run: runs go on failing
	// with their own errors meanwhile, and the worker's readiness says
	// "store: …" until the store answers again.
	StoreUnavailable Kind = "store_unavailable"
	// StoreRecovered: the store answers again.
	StoreRecovered Kind = "store_recovered"
)

// WorkerToken is the job token of worker events: '@' is not allowed in a
// job name, so it names no job.
const WorkerToken = "@worker"
