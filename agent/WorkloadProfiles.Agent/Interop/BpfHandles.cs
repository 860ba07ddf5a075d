using Microsoft.Win32.SafeHandles;

namespace WorkloadProfiles.Agent.Interop;

/// <summary>An open (and possibly loaded) <c>struct bpf_object</c>; closing it unloads programs and maps.</summary>
internal sealed class BpfObjectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public BpfObjectHandle() : base(ownsHandle: true) { }

    public BpfObjectHandle(nint handle) : base(ownsHandle: true) => SetHandle(handle);

    protected override bool ReleaseHandle()
    {
        Libbpf.bpf_object__close(handle);
        return true;
    }
}

/// <summary>An attached program (<c>struct bpf_link</c>); destroying it detaches.</summary>
internal sealed class BpfLinkHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public BpfLinkHandle(nint handle) : base(ownsHandle: true) => SetHandle(handle);

    protected override bool ReleaseHandle() => Libbpf.bpf_link__destroy(handle) == 0;
}

/// <summary>A libbpf ring-buffer consumer (<c>struct ring_buffer</c>).</summary>
internal sealed class RingBufferHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public RingBufferHandle(nint handle) : base(ownsHandle: true) => SetHandle(handle);

    protected override bool ReleaseHandle()
    {
        Libbpf.ring_buffer__free(handle);
        return true;
    }
}
