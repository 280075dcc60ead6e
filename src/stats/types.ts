/** Result of a hypothesis test: the test statistic and its p-value. */
export interface TestResult {
  statistic: number;
  pValue: number;
}
