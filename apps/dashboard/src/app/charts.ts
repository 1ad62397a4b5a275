/** ECharts, tree-shaken to what the dashboard draws (line and bar charts, SVG renderer: crisp and testable). */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, SVGRenderer]);

export type Chart = echarts.ECharts;

const live = new Set<Chart>();

export function createChart(el: HTMLElement): Chart {
  const chart = echarts.init(el, null, { renderer: 'svg' });
  live.add(chart);
  return chart;
}

export function disposeCharts(): void {
  for (const c of live) c.dispose();
  live.clear();
}

// one resize listener for every chart (narrow windows, rotating tablets)
let resizeScheduled = false;
window.addEventListener('resize', () => {
  if (resizeScheduled) return;
  resizeScheduled = true;
  requestAnimationFrame(() => {
    resizeScheduled = false;
    for (const c of live) c.resize();
  });
});
