"""A customer whose phone, ID number and mobile lines are known, with orders whose free text holds them
too, for the PII sweeps of the console and the API (tests/console, tests/api)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.core.crypto import encrypt, keyed_hash
from manyi.customers.models import Subscription
from manyi.orders import service
from manyi.orders.models import WorkOrder
from tests.operator_fixture import Operator

PHONE = "13812345678"  # the operator fixture's customer's phone, and their first mobile line
SECOND_LINE = "13987654321"  # a mobile line that is not the contact phone
ID_NUMBER = "330106199001011234"
STAFF_PHONE = "13700001111"  # the agent's own phone: staff phone numbers are PII too
NO_PII_ROLES = ("inspector", "auditor", "branch_manager", "partner")


@dataclass
class PiiWorld:
    customer_id: int
    mobile_order: WorkOrder
    broadband_order: WorkOrder

    @staticmethod
    def secrets() -> list[str]:
        """Every full number, in the forms it was stored or typed in."""
        return [PHONE, SECOND_LINE, ID_NUMBER, STAFF_PHONE, "139 8765 4321", "138-1234-5678"]


def seed_pii(session: Session, operator: Operator) -> PiiWorld:
    """Give the operator's customer an ID number and two mobile lines, and open two orders whose
    title, description, notes and reasons carry the numbers an agent typed in."""
    customer = operator.customer
    customer.id_number_encrypted = encrypt(ID_NUMBER)
    customer.id_number_hash = keyed_hash(ID_NUMBER)
    operator.agent.phone = STAFF_PHONE
    first = Subscription(customer_id=customer.id, product="mobile", service_number=PHONE)
    second = Subscription(customer_id=customer.id, product="mobile", service_number=SECOND_LINE)
    session.add_all([first, second])
    session.flush()
    mobile = service.create_order(
        session,
        type="complaint",
        description=f"客户投诉扣费，联系电话 138-1234-5678，身份证 {ID_NUMBER}",
        title="回拨 139 8765 4321",
        channel="hotline",
        region_code="330106",
        customer_id=customer.id,
        subscription_id=second.id,
        actor_id=operator.agent.id,
    )
    broadband = service.create_order(
        session,
        type="fault",
        description=f"宽带无法上网，客户手机{PHONE}",
        channel="hotline",
        region_code="330106",
        customer_id=customer.id,
        subscription_id=operator.broadband.id,
        actor_id=operator.agent.id,
    )
    service.add_note(
        session, order_id=mobile.id, text=f"客户另一号码{SECOND_LINE}，已短信告知", actor_id=None
    )
    service.transition_order(session, order_id=broadband.id, action="contact", actor_id=operator.agent.id)
    service.transition_order(
        session,
        order_id=broadband.id,
        action="pause",
        reason=f"客户出差，回来后拨{PHONE}预约",
        actor_id=operator.agent.id,
    )
    session.commit()
    return PiiWorld(customer.id, mobile, broadband)
