global using WorkloadProfiles.Domain;
global using WorkloadProfiles.Domain.Events;
global using WorkloadProfiles.Domain.Profiles;
global using WorkloadProfiles.Domain.Signals;
global using WorkloadProfiles.Domain.Snapshots;
