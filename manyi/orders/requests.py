"""What a new order's request must satisfy before anything is stored or planned: its type, priority,
region, category, customer and subscription. Shared by create_order and the deadline preview
(manyi.sla.preview), so a preview refuses exactly what saving would."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.categories.tree import CategoryInfo, category_by_code
from manyi.core.errors import ValidationFailed
from manyi.customers.models import Customer, Subscription
from manyi.orders import lifecycle
from manyi.org.reference import region_index


@dataclass(frozen=True)
class CheckedRequest:
    category: CategoryInfo | None
    product: str | None  # the subscription's product, which routing and policies match on


def check_request(
    session: Session,
    *,
    type: str,
    priority: int,
    region_code: str,
    category_code: str | None,
    customer_id: int | None,
    subscription_id: int | None,
) -> CheckedRequest:
    """Refuse the first bad field with ValidationFailed naming it; return what the checks looked up."""
    lifecycle.check_type(type)
    if not 1 <= priority <= 4:
        raise ValidationFailed(
            f"priority: expected 1 (highest) to 4 (lowest), got {priority}", field="priority"
        )
    if region_code not in region_index(session):
        raise ValidationFailed(f"region_code: unknown region {region_code!r}", field="region_code")
    category = category_by_code(session, category_code) if category_code else None
    if category_code and category is None:
        raise ValidationFailed(f"category: unknown category {category_code!r}", field="category")
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise ValidationFailed(f"customer: unknown customer id {customer_id}", field="customer")
    product = None
    if subscription_id is not None:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None or (customer_id is not None and subscription.customer_id != customer_id):
            raise ValidationFailed(
                f"subscription: {subscription_id} is not a subscription of this customer",
                field="subscription",
            )
        product = subscription.product
    return CheckedRequest(category, product)
