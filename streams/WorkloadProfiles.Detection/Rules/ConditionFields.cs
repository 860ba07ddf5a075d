using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Detection.Rules;

// The variables a rule condition sees. Member names are spelled exactly as the ECS field names rule authors know
// (process.executable.path, dns.question.name, process.command_line), which is why they are lower-case and internal.
//
// One EventFields instance is rebound to each event, so evaluating a rule allocates nothing unless the condition reads a
// derived value (process.parent.*, process.command_line, the acting process of a non-exec event), which is resolved from
// the container's process table on first read and cached until the next event.
//
// Strings are never null ("" when absent) so conditions need no null checks.

/// <summary>All condition variables for one event; rebound per event by the engine.</summary>
internal sealed class EventFields
{
    private ProcessTable? _processes;
    private ProcessImage? _image;
    private IReadOnlyList<ProcessRef>? _ancestry;

    public EventFields()
    {
        process = new ProcessFields(this);
        file = new FileFields(this);
        dns = new DnsFields(this);
        destination = new DestinationFields(this);
        network = new NetworkFields(this);
        container = new ContainerFields(this);
        user = new UserFields(this);
        host = new HostFields(this);
    }

    public ProcessFields process { get; }
    public FileFields file { get; }
    public DnsFields dns { get; }
    public DestinationFields destination { get; }
    public NetworkFields network { get; }
    public ContainerFields container { get; }
    public UserFields user { get; }
    public HostFields host { get; }

    internal RawEvent Event { get; private set; } = null!;
    internal ContainerRef Container { get; private set; } = null!;
    internal string HostName { get; private set; } = "";

    internal void Bind(RawEvent e, ContainerRef container, string hostName, ProcessTable processes)
    {
        Event = e;
        Container = container;
        HostName = hostName;
        _processes = processes;
        _image = null;
        _ancestry = null;
        process.Reset();
        file.Reset();
        dns.Reset();
    }

    /// <summary>The image the acting process runs (its own exec, or its parent's while a forked child has not exec'd).</summary>
    internal ProcessImage Image => _image ??= _processes!.ImageOf(Event.Pid, Event.Comm);

    /// <summary>Root-first lineage of the acting process (its image last), each entry with its own argv; resolved once per event.</summary>
    internal IReadOnlyList<ProcessRef> Ancestry => _ancestry ??= Image.Lineage();

    internal static string BaseName(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? path : path[(slash + 1)..];
    }
}

/// <summary><c>process.*</c>: the acting process.</summary>
internal sealed class ProcessFields
{
    private readonly EventFields _event;
    private string? _name;
    private string? _commandLine;

    public ProcessFields(EventFields e)
    {
        _event = e;
        executable = new ExecutableFields(this);
        parent = new ParentFields(e);
    }

    internal void Reset()
    {
        _name = null;
        _commandLine = null;
        parent.Reset();
    }

    /// <summary>Basename of the executable (what was exec'd, e.g. <c>sh</c> for a busybox applet); the kernel comm when unknown.</summary>
    public string name => _name ??= Path.Length > 0 ? NodeIdentity.ProgramName(Path, args) : _event.Event.Comm;
    /// <summary>The kernel comm (≤ 15 bytes).</summary>
    public string comm => _event.Event.Comm;
    public int pid => _event.Event.Pid;
    public int ppid => _event.Event.Ppid;
    /// <summary>The working directory when its program was exec'd ("" when not captured).</summary>
    public string working_directory => _event.Event is { Kind: EventKind.Exec, WorkingDirectory: { } cwd } ? cwd : _event.Image.WorkingDirectory ?? "";
    public ExecutableFields executable { get; }
    /// <summary>argv including argv[0].</summary>
    public IReadOnlyList<string> args => _event.Event is { Kind: EventKind.Exec, Args: { } a } ? a : Acting?.Args ?? [];
    public int args_count => args.Count;
    /// <summary>argv joined with single spaces.</summary>
    public string command_line => _commandLine ??= string.Join(' ', args);
    public ParentFields parent { get; }

    internal string Path => _event.Event is { Kind: EventKind.Exec, ExecutablePath: { Length: > 0 } p } ? p : Acting?.ExecutablePath ?? "";

    private ProcessRef? Acting => _event.Ancestry is { Count: > 0 } a ? a[^1] : null;
}

/// <summary><c>process.executable.*</c>.</summary>
internal sealed class ExecutableFields(ProcessFields process)
{
    public string path => process.Path;
}

/// <summary><c>process.parent.*</c>: the process node the acting process came from (its previous image, or the forking parent's).</summary>
internal sealed class ParentFields
{
    private readonly EventFields _event;
    private string? _commandLine;

    public ParentFields(EventFields e)
    {
        _event = e;
        executable = new ParentExecutableFields(this);
    }

    internal void Reset() => _commandLine = null;

    /// <summary>The parent's program name (the busybox applet for busybox, like <see cref="ProcessFields.name"/>).</summary>
    public string name => Ref is { } p ? NodeIdentity.ProgramName(p.ExecutablePath, p.Args) : "";
    public ParentExecutableFields executable { get; }
    public IReadOnlyList<string> args => Ref?.Args ?? [];
    public string command_line => _commandLine ??= string.Join(' ', args);

    internal ProcessRef? Ref => _event.Ancestry is { Count: > 1 } a ? a[^2] : null;
}

/// <summary><c>process.parent.executable.*</c>.</summary>
internal sealed class ParentExecutableFields(ParentFields parent)
{
    public string path => parent.Ref?.ExecutablePath ?? "";
}

/// <summary><c>file.*</c> (open rules).</summary>
internal sealed class FileFields(EventFields e)
{
    // open(2) flags: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC. Any of them means the file may be written.
    internal const int WriteFlags = 0x1 | 0x2 | 0x40 | 0x200;

    private string? _name;

    internal void Reset() => _name = null;

    public string path => e.Event.FilePath ?? "";
    public string name => _name ??= EventFields.BaseName(path);
    public int flags => e.Event.FileFlags;
    /// <summary>True when opened for writing (O_WRONLY, O_RDWR, O_CREAT or O_TRUNC).</summary>
    public bool write => (e.Event.FileFlags & WriteFlags) != 0;
}

/// <summary><c>dns.*</c> (dns rules).</summary>
internal sealed class DnsFields
{
    public DnsFields(EventFields e) => question = new DnsQuestionFields(e);
    public DnsQuestionFields question { get; }
    internal void Reset() => question.Reset();
}

/// <summary><c>dns.question.*</c>.</summary>
internal sealed class DnsQuestionFields(EventFields e)
{
    private string? _name;

    internal void Reset() => _name = null;

    /// <summary>The question name as the profile's DNS nodes key it: ASCII lower-case, no trailing root dot.</summary>
    public string name => _name ??= NodeIdentity.DnsKey(e.Event.DnsQuestionName ?? "");
    /// <summary>Numeric QTYPE (1 = A, 28 = AAAA).</summary>
    public int type => e.Event.DnsQuestionType;
}

/// <summary><c>destination.*</c> (connect and dns rules; for dns the resolver).</summary>
internal sealed class DestinationFields(EventFields e)
{
    public string address => e.Event.DestinationAddress ?? "";
    public int port => e.Event.DestinationPort;
}

/// <summary><c>network.*</c>.</summary>
internal sealed class NetworkFields(EventFields e)
{
    /// <summary><c>tcp</c>, <c>udp</c> or <c>unknown</c>.</summary>
    public string transport => e.Event.Transport switch
    {
        NetworkTransport.Tcp => "tcp",
        NetworkTransport.Udp => "udp",
        _ => "unknown",
    };
}

/// <summary><c>container.*</c>.</summary>
internal sealed class ContainerFields
{
    private readonly EventFields _event;
    public ContainerFields(EventFields e)
    {
        _event = e;
        image = new ContainerImageFields(e);
    }
    public string id => _event.Container.Id;
    public ContainerImageFields image { get; }
}

/// <summary><c>container.image.*</c>; "" while the agent has not resolved the image.</summary>
internal sealed class ContainerImageFields(EventFields e)
{
    public string name => e.Container.ImageName ?? "";
    public string tag => e.Container.ImageTag ?? "";
}

/// <summary><c>user.*</c>: the acting process's credentials.</summary>
internal sealed class UserFields
{
    private readonly EventFields _event;
    public UserFields(EventFields e)
    {
        _event = e;
        group = new GroupFields(e);
    }
    public long id => _event.Event.Uid;
    public GroupFields group { get; }
}

/// <summary><c>user.group.*</c>.</summary>
internal sealed class GroupFields(EventFields e)
{
    public long id => e.Event.Gid;
}

/// <summary><c>host.*</c>.</summary>
internal sealed class HostFields(EventFields e)
{
    public string name => e.HostName;
}
