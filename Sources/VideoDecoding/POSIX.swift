// The C library (Glibc on Linux, Darwin on macOS) under names that do not clash with our methods.

#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Darwin)
@_exported import Darwin
#endif

func posixOpen(_ path: String, _ flags: Int32) -> Int32 { FileNames.open(path, flags) }
func posixOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
