// The part of autocannon's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  type Request = { method?: string; path?: string; headers?: Record<string, string>; body?: string };
  type Histogram = { average: number; p50: number; p99: number; [key: string]: number };
  type Result = { requests: Histogram; latency: Histogram; errors: number; timeouts: number; non2xx: number };
  type Options = { url: string; connections?: number; duration?: number; requests?: Request[]; pipelining?: number };
  export default function autocannon(options: Options): Promise<Result>;
}
