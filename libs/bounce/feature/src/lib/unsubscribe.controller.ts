import { Controller, Get, Header, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { parseUnsubscribeToken } from '@postwave/contracts';
import { BOUNCE_OPTIONS, type BounceOptions } from './bounce-options';
import { Unsubscribes } from './unsubscribes';

/**
 * The https List-Unsubscribe target: POST is RFC 8058 one-click (mailbox providers call it with
 * `List-Unsubscribe=One-Click`), GET shows a confirmation page whose button makes the same POST,
 * so link scanners that follow GETs never unsubscribe anyone.
 */
@Controller('v1/unsubscribe')
export class UnsubscribeController {
  constructor(
    @Inject(BOUNCE_OPTIONS) private readonly options: BounceOptions,
    @Inject(Unsubscribes) private readonly unsubscribes: Unsubscribes,
  ) {}

  @Post(':token')
  @HttpCode(200)
  async oneClick(@Param('token') token: string) {
    const messageId = this.messageOf(token);
    await this.unsubscribes.record([messageId], 'one-click');
    return { unsubscribed: true };
  }

  @Get(':token')
  @Header('content-type', 'text/html; charset=utf-8')
  confirm(@Param('token') token: string) {
    this.messageOf(token);
    const action = encodeURIComponent(token);
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title></head>
<body><h1>Unsubscribe</h1><p>You will no longer receive these emails.</p>
<form method="post" action="${action}"><button type="submit">Unsubscribe</button></form></body></html>`;
  }

  private messageOf(token: string): string {
    const messageId = parseUnsubscribeToken(token, this.options.verpSecret);
    if (!messageId)
      throw new NotFoundException({
        error: 'token: not a valid unsubscribe link',
        field: 'token',
        value: token,
      });
    return messageId;
  }
}
