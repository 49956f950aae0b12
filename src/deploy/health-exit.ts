/** A container HEALTHCHECK's ending, for both checks: print the verdict, exit 0 healthy or 1 unhealthy (Docker's codes). */
export function exitWithHealth(check: Promise<{ healthy: boolean; message: string }>): void {
  check.then(
    (health) => {
      console.log(health.message);
      process.exit(health.healthy ? 0 : 1);
    },
    (err: unknown) => {
      console.log(`unhealthy: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
