using System.Runtime.InteropServices;

namespace WorkloadProfiles.Agent.Interop;

/// <summary>
/// The slice of libbpf 1.x (Debian's libbpf1, <c>libbpf.so.1</c>) the agent uses. libbpf 1.0 semantics: functions
/// returning pointers return NULL and set errno on failure; functions returning int return a negative errno.
/// </summary>
internal static unsafe partial class Libbpf
{
    private const string Library = "libbpf.so.1";

    public const int BPF_ANY = 0;
    public const int BPF_NOEXIST = 1;

    [LibraryImport(Library, EntryPoint = "bpf_object__open_file", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint bpf_object__open_file(string path, nint opts);

    [LibraryImport(Library, EntryPoint = "bpf_object__load", SetLastError = true)]
    public static partial int bpf_object__load(nint obj);

    [LibraryImport(Library, EntryPoint = "bpf_object__close")]
    public static partial void bpf_object__close(nint obj);

    [LibraryImport(Library, EntryPoint = "bpf_object__next_program")]
    public static partial nint bpf_object__next_program(nint obj, nint prev);

    [LibraryImport(Library, EntryPoint = "bpf_program__name")]
    public static partial nint bpf_program__name(nint prog);

    [LibraryImport(Library, EntryPoint = "bpf_program__set_autoload")]
    public static partial int bpf_program__set_autoload(nint prog, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(Library, EntryPoint = "bpf_program__autoload")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool bpf_program__autoload(nint prog);

    [LibraryImport(Library, EntryPoint = "bpf_program__attach", SetLastError = true)]
    public static partial nint bpf_program__attach(nint prog);

    [LibraryImport(Library, EntryPoint = "bpf_link__destroy")]
    public static partial int bpf_link__destroy(nint link);

    [LibraryImport(Library, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint bpf_object__find_map_by_name(nint obj, string name);

    [LibraryImport(Library, EntryPoint = "bpf_map__fd")]
    public static partial int bpf_map__fd(nint map);

    [LibraryImport(Library, EntryPoint = "bpf_map__set_max_entries")]
    public static partial int bpf_map__set_max_entries(nint map, uint maxEntries);

    [LibraryImport(Library, EntryPoint = "bpf_map_update_elem", SetLastError = true)]
    public static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Library, EntryPoint = "bpf_map_lookup_elem", SetLastError = true)]
    public static partial int bpf_map_lookup_elem(int fd, void* key, void* value);

    [LibraryImport(Library, EntryPoint = "bpf_map_delete_elem", SetLastError = true)]
    public static partial int bpf_map_delete_elem(int fd, void* key);

    [LibraryImport(Library, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int libbpf_num_possible_cpus();

    [LibraryImport(Library, EntryPoint = "ring_buffer__new", SetLastError = true)]
    public static partial nint ring_buffer__new(int mapFd, delegate* unmanaged<nint, nint, nuint, int> sampleCallback, nint context, nint opts);

    [LibraryImport(Library, EntryPoint = "ring_buffer__poll")]
    public static partial int ring_buffer__poll(nint ringBuffer, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "ring_buffer__consume")]
    public static partial int ring_buffer__consume(nint ringBuffer);

    [LibraryImport(Library, EntryPoint = "ring_buffer__free")]
    public static partial void ring_buffer__free(nint ringBuffer);

    /// <summary>libbpf's print callback receives a va_list; on x86-64 and arm64 Linux it is passed as a pointer, so it
    /// can be handed to vsnprintf unchanged.</summary>
    [LibraryImport(Library, EntryPoint = "libbpf_set_print")]
    public static partial nint libbpf_set_print(delegate* unmanaged<int, nint, nint, int> callback);

    [LibraryImport("libc", EntryPoint = "vsnprintf")]
    public static partial int vsnprintf(byte* buffer, nuint size, nint format, nint args);

    public static string? PtrToString(nint utf8) => Marshal.PtrToStringUTF8(utf8);
}
