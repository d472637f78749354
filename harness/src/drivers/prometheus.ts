// Prometheus text exposition: metric families with their type and sample count.
export interface MetricFamily {
  name: string;
  type?: string;
  help?: string;
  samples: number;
}

export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, samples: 0 };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const meta = /^#\s+(TYPE|HELP)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(t);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === 'TYPE') f.type = meta[3];
      else f.help = meta[3];
      continue;
    }
    if (t.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(t);
    if (!m) continue;
    let name = m[1]!;
    const base = name.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!families.has(name) && families.has(base) && families.get(base)!.type) name = base;
    family(name).samples++;
  }
  return families;
}
