import { formatPrometheus } from './prometheus';

describe('Prometheus text format', () => {
  it('writes HELP and TYPE once per metric and one line per sample, labels escaped', () => {
    expect(
      formatPrometheus([
        {
          name: 'postwave_mta_path_messages_per_hour',
          help: 'Learned messages per hour.',
          type: 'gauge',
          samples: [
            { labels: { site: 'google', source_ip: '127.0.0.2' }, value: 3600 },
            { labels: { site: 'say "hi"\\now' }, value: Infinity },
          ],
        },
        { name: 'postwave_mta_attempts_total', help: 'Attempts.', type: 'counter', samples: [{ value: 7 }] },
      ]),
    ).toBe(
      [
        '# HELP postwave_mta_path_messages_per_hour Learned messages per hour.',
        '# TYPE postwave_mta_path_messages_per_hour gauge',
        'postwave_mta_path_messages_per_hour{site="google",source_ip="127.0.0.2"} 3600',
        'postwave_mta_path_messages_per_hour{site="say \\"hi\\"\\\\now"} +Inf',
        '# HELP postwave_mta_attempts_total Attempts.',
        '# TYPE postwave_mta_attempts_total counter',
        'postwave_mta_attempts_total 7',
        '',
      ].join('\n'),
    );
  });

  it('refuses names and labels Prometheus would reject, naming them', () => {
    expect(() => formatPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow(
      'metric name "bad-name" is not valid',
    );
    expect(() =>
      formatPrometheus([
        { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'source-ip': 'x' }, value: 1 }] },
      ]),
    ).toThrow('label "source-ip" of ok is not valid');
  });
});
