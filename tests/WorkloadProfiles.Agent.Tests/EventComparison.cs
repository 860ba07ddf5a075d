using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>Value comparison of events (RawEvent's record equality compares Args by reference).</summary>
internal static class EventComparison
{
    public static string Describe(RawEvent e) =>
        $"{e.Kind}|{e.TimestampUs}|{e.Pid}|{e.Tid}|{e.Ppid}|{e.Uid}|{e.Gid}|{e.Comm}|{e.ExecutablePath}|{string.Join("\u0001", e.Args ?? [])}|" +
        $"{e.ChildPid}|{e.ExitCode}|{e.FilePath}|{e.FileFlags}|{e.DnsQuestionName}|{e.DnsQuestionType}|{e.Transport}|{e.DestinationAddress}|{e.DestinationPort}";

    public static string Describe(RawEventBatch b) =>
        $"{b.Container}|{b.HostName}|{b.AgentId}|{b.Sequence}|{b.DroppedEvents}|" + string.Join("\n", b.Events.Select(Describe));
}
