// A large sandbox data set for the tree benchmark: 2,000 projects, one project with 300
// Docker repositories, and one repository with 2,000 tags.
import { SeedData, SeedDockerRepository } from '../sandbox/server';

export const BIG_PROJECT_ID = 'syn2000001';
export const BIG_REPOSITORY_ID = 'syn2100000';

export function bigSeed(): SeedData {
  const repositories: SeedDockerRepository[] = Array.from({ length: 300 }, (_, i) => ({
    type: 'dockerrepo',
    id: `syn${2100000 + i}`,
    repositoryName: `{registry}/${BIG_PROJECT_ID}/tool-${String(i).padStart(3, '0')}`,
    tags: i === 0 ? [] : [{ tag: 'latest' }],
    generateTags: i === 0 ? { count: 2000, prefix: 'build-' } : undefined,
  }));
  return {
    epoch: '2024-01-01T00:00:00.000Z',
    tokenSecret: 'synapse-sandbox-benchmark-seed',
    users: [{ userName: 'bench', ownerId: '3900001', certified: true }],
    projects: [
      {
        id: BIG_PROJECT_ID,
        name: 'Benchmark Big Project',
        createdBy: 'bench',
        acl: { bench: ['ADMIN'] },
        lastActivity: '2025-01-01T00:00:00.000Z',
        children: repositories,
      },
      {
        generate: {
          count: 1999,
          idStart: 2200001,
          namePrefix: 'Benchmark Project ',
          owner: 'bench',
          lastActivityFrom: '2024-01-01T00:00:00.000Z',
          stepMinutes: 5,
        },
      },
    ],
  };
}
