// Package logcap captures a run's output: it stores it with a size cap for
// upload when the run ends, and publishes it live in chunks for followers
// (jetcron exec logs -f).
//
// # Stored log
//
// A Capture keeps the first MaxBytes/2 bytes of the output in a head file and
// the most recent MaxBytes-MaxBytes/2 bytes after those in a ring file, both
// in Config.Dir. Output that fits the cap is therefore stored exactly; output
// that does not is stored as head, a marker line
// "\n[jetcron: N bytes truncated]\n" and the last MaxBytes/2 bytes. The
// head is what usually explains a failure's cause, the tail its outcome.
//
// Most runs print little, so the files are made only when needed. Output up
// to Config.MemBytes (64 KiB by default, and never more than MaxBytes) is
// held in memory, and Open and ReadStream read it from there: such a run
// costs no directory, no file and no removal. The Write that takes the
// output past it spills: it creates Config.Dir and the two files, writes
// what was held, and from then on that memory is the write buffer in front
// of the files. Above the threshold the stored log is the same as if the files had
// been there from the start; DirCreated tells the caller whether there is a
// directory to remove.
//
// Memory stays bounded whatever the output volume. At most MemBytes of
// output is in memory per Capture, before the spill and after it (64 KiB
// for each of 64 concurrent runs is 4 MiB); the rest of the log is on disk.
// A write larger than the ring skips the bytes the ring would overwrite
// anyway, and the live queue holds a fixed number of chunks. A script
// writing hundreds of megabytes costs disk writes to a file of at most
// MaxBytes/2 that the page cache absorbs, not heap (see TestMemoryBounded).
//
// The capture files are private to the worker: Config.Dir is created mode
// 0700 (a directory left at its path is removed first), and the files mode
// 0600 with O_EXCL, so a planted symlink is refused. Keep Config.Dir out of
// reach of the script: a script that can write there can tamper with its
// stored log.
//
// # Live chunks
//
// Write cuts the output into chunks of ChunkSize bytes, each with the offset
// of its first byte in the raw output stream, and queues them for a single
// goroutine that calls PublishFunc in order. A partial chunk is published
// after FlushInterval, so a follower sees a slow script's lines promptly.
// Write never waits for PublishFunc: when the queue is full the chunk is
// dropped and counted (Dropped), because the stored log, not the live tail,
// is the source of truth. A follower that sees a gap in offsets, or joins
// late, reads the missing bytes with ReadStream while they are still held.
// Close publishes a last chunk marked EOF, which is never dropped.
package logcap
