using WorkloadProfiles.Agent;

return await AgentCommandLine.RunAsync(args);
