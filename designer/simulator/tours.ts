/**
 * Guided tours: examples/<name>/tour.md, bundled as text. A tour is data: a
 * `# title`, then one `## step` heading per step with a few sentences under
 * it. The designer shows the tour of the example whose pipeline is open.
 */
const files = import.meta.glob<string>(['../../examples/*/tour.md'], { query: '?raw', import: 'default', eager: true });

export interface TourStep {
  title: string;
  text: string;
}

export interface Tour {
  title: string;
  steps: TourStep[];
}

export function parseTour(md: string): Tour {
  let title = '';
  const steps: TourStep[] = [];
  for (const line of md.split(/\r?\n/)) {
    const h1 = /^#\s+(.*)$/.exec(line);
    const h2 = /^##\s+(.*)$/.exec(line);
    if (h2) steps.push({ title: h2[1].trim(), text: '' });
    else if (h1 && !title) title = h1[1].trim();
    else if (steps.length) steps[steps.length - 1].text += `${line}\n`;
  }
  for (const s of steps) s.text = s.text.trim();
  return { title, steps };
}

const TOURS = new Map(Object.entries(files).map(([path, text]) => [path.split('/')[3], parseTour(text)]));

/** The tour of the example a pipeline came from, by its name (examples name their pipeline after their folder). */
export function tourFor(pipelineName: string): Tour | undefined {
  return TOURS.get(pipelineName);
}
